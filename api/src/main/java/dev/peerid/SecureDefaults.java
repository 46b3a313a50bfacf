package dev.peerid;

import static dev.peerid.PolicyExpr.quote;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The denials every policy applies on top of its expression: interpreters, traced peers, peers
 * with injected libraries and, for valid Apple code signatures, a missing hardened runtime and
 * the entitlements that let other code in, and peers in a user namespace of their own. A policy
 * opts in to one of them by naming its predicate anywhere in its expression ({@code interpreter},
 * {@code traced}, {@code injected}, {@code hardened}, {@code entitlement "<that exact key>"},
 * {@code namespaced}); comments do not count.
 */
final class SecureDefaults {
  /** The entitlements denied by default, with what each lets in. */
  static final Map<String, String> RISKY_ENTITLEMENTS;

  static {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("com.apple.security.get-task-allow",
        "lets other processes of the same user attach to it and change its code");
    m.put("com.apple.security.cs.disable-library-validation",
        "lets it load libraries signed by anyone");
    m.put("com.apple.security.cs.allow-dyld-environment-variables",
        "lets DYLD_* environment variables inject code into it");
    RISKY_ENTITLEMENTS = java.util.Collections.unmodifiableMap(m);
  }

  private final boolean interpreter;
  private final boolean traced;
  private final boolean injected;
  private final boolean hardened;
  private final Set<String> entitlements;
  private final boolean namespaced;

  SecureDefaults(boolean interpreter, boolean traced, boolean injected, boolean hardened, Set<String> entitlements,
      boolean namespaced) {
    this.namespaced = namespaced;
    this.interpreter = interpreter;
    this.traced = traced;
    this.injected = injected;
    this.hardened = hardened;
    this.entitlements = Set.copyOf(entitlements);
  }

  /**
   * Whether the expression may judge this peer by its executable at all: not a peer in a user
   * namespace of its own, unless the policy named {@code namespaced}.
   */
  boolean executableIsEvidence(PeerIdentity identity) {
    return namespaced || !identity.risks().namespaced();
  }

  /** Reasons to deny regardless of the expression; empty when none applies. */
  List<String> denials(PeerIdentity identity) {
    List<String> reasons = new ArrayList<>();
    RiskFacts risks = identity.risks();
    if (risks.namespaced() && !namespaced) {
      reasons.add("the peer runs in a user namespace of its own, where it holds every capability and can point"
          + " its /proc/PID/exe at any file (prctl PR_SET_MM_MAP) or mount its own files over libraries: the"
          + " signature, digest and path of " + identity.executable().path() + " are no evidence of the code it"
          + " runs, so no signed, signer, sha256 or path clause holds for it; add 'namespaced' to the policy to"
          + " accept such peers (sandboxes, rootless containers) on their executable's word");
    }
    Optional<String> interpreterName = risks.interpreter();
    if (interpreterName.isPresent() && !interpreter) {
      reasons.add("the peer runs " + identity.executable().path() + ", an interpreter (" + interpreterName.get()
          + "): its signature does not cover the code it runs; add 'interpreter' to the policy to allow interpreters");
    }
    if (risks.traced() && !traced) {
      reasons.add(RiskPredicates.tracer(risks) + ": a debugger can change the code it runs;"
          + " add 'traced' to the policy to allow traced peers");
    }
    if (!risks.injectedLibraries().isEmpty() && !injected) {
      reasons.add("the peer runs code its signature does not cover (" + String.join(", ", risks.injectedLibraries())
          + "): injected libraries, or code modified in memory;"
          + " add 'injected' to the policy to allow such peers");
    }
    CodeSignature signature = identity.signature();
    if (signature.format() == SignatureFormat.MACHO && SignatureFacts.signerFactsCount(signature)) {
      if ("false".equals(signature.attribute("hardenedRuntime").orElse(null)) && !hardened) {
        reasons.add("the peer's code signature does not enable the hardened runtime, so code can be injected"
            + " into it; mention 'hardened' in the policy to decide on the hardened runtime yourself"
            + " (e.g. 'signed and (hardened or identifier = \"com.vendor.legacy\")')");
      }
      for (Map.Entry<String, String> e : RISKY_ENTITLEMENTS.entrySet()) {
        if (SignaturePredicates.grants(signature, e.getKey()) && !entitlements.contains(e.getKey())) {
          reasons.add("the peer's signature grants the entitlement " + e.getKey() + ", which " + e.getValue()
              + "; add 'entitlement " + quote(e.getKey()) + "' to the policy to allow it");
        }
      }
    }
    return reasons;
  }

  /** Notes for an allowed peer that has a risky fact the policy opted in to, so that logs show it. */
  List<String> notes(PeerIdentity identity) {
    List<String> notes = new ArrayList<>();
    RiskFacts risks = identity.risks();
    risks.interpreter().ifPresent(name -> notes.add("interpreter " + name + " allowed by the policy"));
    if (risks.traced()) {
      notes.add("traced peer allowed by the policy (" + RiskPredicates.tracer(risks) + ")");
    }
    if (!risks.injectedLibraries().isEmpty()) {
      notes.add("injected libraries allowed by the policy: " + String.join(", ", risks.injectedLibraries()));
    }
    if (risks.namespaced()) {
      notes.add("peer in a user namespace of its own allowed by the policy: its executable may not be the code"
          + " it runs");
    }
    return notes;
  }
}
