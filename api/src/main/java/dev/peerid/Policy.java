package dev.peerid;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which peers a server accepts, written in a small language that reads the same on every
 * platform. Parsed once with {@link #parse(String)}; immutable and safe to share between threads.
 *
 * <pre>{@code
 * Policy policy = Policy.parse("signed by \"vendor\" and uid >= 1000");
 * Verdict verdict = policy.evaluate(identity);   // allow/deny with reasons
 * }</pre>
 *
 * <h2 id="grammar">Grammar</h2>
 *
 * <pre>
 * expr      := term ('or' term)*
 * term      := unary ('and' unary)*
 * unary     := 'not' unary | '(' expr ')' | predicate
 * predicate := 'signed'                          valid signature from any trusted key
 *            | 'signed' 'by' STRING              ... vouched for by the trust entry of that name
 *            | ('uid' | 'gid') CMP INT           effective uid / gid of the peer process
 *            | ('uid' | 'gid') 'in' '[' INT (',' INT)* ']'
 *            | 'user' '=' STRING | 'group' '=' STRING      names of the effective uid / gid
 *            | 'path' '=' STRING                 the executable's path, exactly
 *            | 'path' 'matches' STRING           ... matching a glob
 *            | 'sha256' '=' HEX                  SHA-256 of the whole executable file
 *            | 'platform' '=' ('linux' | 'macos' | 'windows')
 *            | 'team' '=' STRING                 Apple Team ID of the signer
 *            | 'identifier' ['='] STRING         Apple signing identifier
 *            | 'certificate' ('leaf' | 'root' | INT) '[' FIELD ']' '=' STRING
 *            | 'anchor' 'apple' ['generic']      Apple's own code / any Apple-issued certificate
 *            | 'hardened'                        Apple hardened runtime enabled
 *            | 'entitlement' STRING              Apple entitlement granted (value true)
 *            | 'interpreter' | 'traced' | 'injected'     risk facts (see below)
 *            | 'namespaced'                      Linux: in a user namespace of its own (see below)
 *            | 'protected'                       Linux: other processes of its user cannot write it
 * CMP       := '=' | '!=' | '&lt;' | '&lt;=' | '&gt;' | '&gt;='
 * FIELD     := 'subject.CN' | 'subject.O' | 'subject.OU' | 'sha256'
 * </pre>
 *
 * <p>{@code not} binds tighter than {@code and}, which binds tighter than {@code or}. Keywords are
 * lower-case and case-sensitive. STRING is in double quotes, with {@code \"} and {@code \\} as the
 * only escapes, on one line. INT is a decimal integer 0..4294967295. HEX is 64 hex digits, either
 * case. {@code #} starts a comment that runs to the end of the line; line breaks are blanks. A
 * policy text is at most 64 KiB, nesting of {@code not} and parentheses at most 64 levels.
 * Unknown words are parse errors, never "false" at run time; a {@link PolicyParseException} names
 * the line, column and what was expected there.
 *
 * <h2 id="meaning">Meaning</h2>
 * <ul>
 *   <li>{@code signed} holds when the signature is {@link SignatureStatus#VALID}: it verifies and
 *       a trusted, unrevoked entry vouches for it. {@code signed by "N"} also requires that one of
 *       the signers is vouched for by the trust entry named N.
 *   <li>Signer facts ({@code team}, {@code identifier}, {@code certificate}, {@code anchor},
 *       {@code hardened}, {@code entitlement}) hold only for a valid signature — or for an Apple
 *       code signature whose chain verified up to Apple's pinned root, which vouches for the Team ID
 *       in the certificates it issues, so {@code anchor apple generic and team = "X"} works with an
 *       empty trust store as in Apple's requirement language (such a signature is still not
 *       {@code signed}) — and only where
 *       the format carries them: {@code team} on an IMA signature by a bare key is false, and its
 *       reason says why. They read the primary signer. {@code certificate leaf} is certificate 0
 *       of its chain, {@code root} the last one; a subject field matches when any of its values
 *       (an RFC 2253 subject may hold several OUs) equals the string; {@code [sha256]} is the
 *       certificate's fingerprint (64 hex digits, or the colon-separated form openssl prints).
 *   <li>{@code uid}, {@code gid}, {@code user} and {@code group} need a running peer: for a file
 *       checked on its own they are false. {@code gid} is the effective gid only (supplementary
 *       groups are not consulted). An id the platform cannot supply satisfies no comparison.
 *   <li>{@code path matches} globs: {@code *} and {@code ?} stay within one path segment,
 *       {@code **} crosses segments ({@code /opt/**}{@code /bin} also matches {@code /opt/bin}),
 *       {@code [a-z]} and {@code [!a-z]} are classes. Both {@code /} and {@code \} separate
 *       segments; a backslash is a literal character, not an escape. Matching is case-sensitive.
 *   <li>{@code sha256} makes the verifier hash the executable ({@link #needsSha256()}).
 *   <li>{@code path} and {@code path matches} hold only when the path, looked up by the server in
 *       its own namespaces, names the very file the peer runs ({@link ExecutableInfo#pathNamesTheFile()}).
 *   <li>{@code protected} holds for a peer that other processes of its own user cannot trace or
 *       write into ({@link MemoryProtection#PROTECTED}: on Linux, not dumpable, as
 *       {@code prctl(PR_SET_DUMPABLE, 0)} or a setgid program makes it, and in the server's user
 *       namespace); it is false where the platform cannot tell. Require it ({@code signed by "v" and
 *       protected}) where a same-user process writing into the verified client is in your threat
 *       model; the nearest thing on macOS is the hardened runtime ({@code hardened}).
 * </ul>
 *
 * <h2 id="defaults">Secure defaults</h2>
 * Whatever the expression says, {@link #evaluate} denies a peer that
 * <ul>
 *   <li>is an interpreter (its signature does not cover the code it runs), unless the policy
 *       names {@code interpreter};
 *   <li>is traced by a debugger, unless the policy names {@code traced};
 *   <li>has injected libraries, unless the policy names {@code injected};
 *   <li>runs in a user namespace other than the server's, unless the policy names
 *       {@code namespaced}: there it can repoint its own {@code /proc/PID/exe} and mount its own
 *       files, so no clause is judged on its executable (no {@code signed}, signer, {@code sha256}
 *       or {@code path} clause holds); naming {@code namespaced} accepts its executable's word;
 *   <li>has a valid Apple code signature that does not enable the hardened runtime (its
 *       {@code hardenedRuntime} attribute is {@code "false"}), unless the policy names
 *       {@code hardened};
 *   <li>has a valid Apple code signature granting {@code com.apple.security.get-task-allow},
 *       {@code com.apple.security.cs.disable-library-validation} or
 *       {@code com.apple.security.cs.allow-dyld-environment-variables}, unless the policy names
 *       {@code entitlement "<that key>"}.
 * </ul>
 * Naming the predicate anywhere in the expression is the opt-in (for example
 * {@code signed by "tools" and (not interpreter or uid = 0)}); a comment is not.
 *
 * <p>A denial lists every failed clause and every default that applies, in words a person can act
 * on; an {@code or} whose alternatives all fail lists each alternative's reason.
 */
public final class Policy {
  private final String text;
  private final PolicyExpr expression;
  private final boolean needsSha256;
  private final SecureDefaults defaults;

  private Policy(String text, PolicyParser.Parsed parsed) {
    this.text = text;
    this.expression = parsed.expression();
    this.needsSha256 = parsed.needsSha256();
    this.defaults = parsed.defaults();
  }

  /**
   * Parses a policy.
   *
   * @param text the policy, at most 64 KiB
   * @return the parsed policy, ready to evaluate any number of identities from any thread
   * @throws PolicyParseException when the text is not a policy: the message names the line, the
   *     column and what was expected
   */
  public static Policy parse(String text) throws PolicyParseException {
    Objects.requireNonNull(text, "text");
    return new Policy(text, new PolicyParser(text).parse());
  }

  /** The policy exactly as written. */
  public String text() {
    return text;
  }

  /** Whether the policy tests the executable's SHA-256, so the verifier must compute it. */
  public boolean needsSha256() {
    return needsSha256;
  }

  /**
   * Decides about a peer: allowed when the expression holds and no secure default denies. Never
   * throws: an identity that cannot be judged is denied with a reason.
   *
   * @param identity the peer (null gives a denial)
   * @return allow with the clauses that held, or deny with every failed clause and default
   */
  public Verdict evaluate(PeerIdentity identity) {
    if (identity == null) {
      return Verdict.deny(null, "no peer identity to evaluate");
    }
    try {
      List<String> defaultDenials = defaults.denials(identity);
      if (!defaults.executableIsEvidence(identity)) {
        // the executable's signature, digest and path say nothing of this peer: no clause is judged
        // on them, and the default denial above says why
        return Verdict.deny(identity, defaultDenials);
      }
      PolicyOutcome outcome = expression.evaluate(identity);
      if (outcome.holds() && defaultDenials.isEmpty()) {
        List<String> reasons = new ArrayList<>(outcome.reasons());
        reasons.addAll(defaults.notes(identity));
        return Verdict.allow(identity, reasons);
      }
      List<String> reasons = new ArrayList<>();
      if (!outcome.holds()) {
        reasons.addAll(outcome.reasons());
      }
      reasons.addAll(defaultDenials);
      if (reasons.isEmpty()) {
        reasons.add("the policy does not hold");
      }
      return Verdict.deny(identity, reasons);
    } catch (RuntimeException e) {
      return Verdict.deny(identity, "the policy could not be evaluated for this peer: " + e);
    }
  }

  /** The expression in canonical syntax (no comments, minimal parentheses); for tests and logs. */
  String canonical() {
    return expression.describe();
  }

  /** The policy text. */
  @Override
  public String toString() {
    return text;
  }
}
