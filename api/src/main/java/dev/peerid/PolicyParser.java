package dev.peerid;

import dev.peerid.PolicyToken.Kind;
import dev.peerid.ProcessPredicates.Comparison;
import dev.peerid.ProcessPredicates.Id;
import dev.peerid.SignaturePredicates.CertificateField;
import dev.peerid.SignaturePredicates.CertificatePosition;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Recursive-descent parser for the policy language (grammar in {@link Policy}). It remembers
 * every token it would have accepted at the current position, so that an error says exactly what
 * was expected there. Input size and nesting depth are bounded, so any text gives a tree or a
 * {@link PolicyParseException}.
 */
final class PolicyParser {
  /** Longest policy text accepted, in characters. */
  static final int MAX_LENGTH = 64 * 1024;
  /** Deepest nesting of {@code not} and parentheses accepted. */
  static final int MAX_DEPTH = 64;

  static final long MAX_ID = 0xFFFF_FFFFL;

  private static final List<String> PREDICATES = List.of("signed", "uid", "gid", "user", "group", "path", "sha256",
      "platform", "team", "identifier", "certificate", "interpreter", "traced", "anchor", "injected", "hardened",
      "entitlement", "namespaced", "protected");
  private static final List<String> OTHER_WORDS = List.of("not", "and", "or", "by", "in", "matches", "leaf", "root",
      "apple", "generic", "linux", "macos", "windows", "subject.CN", "subject.O", "subject.OU");

  /** The result of a parse. */
  record Parsed(PolicyExpr expression, boolean needsSha256, SecureDefaults defaults) {}

  private final String text;
  private PolicyLexer lexer;
  private PolicyToken current;
  private final Set<String> expected = new LinkedHashSet<>();
  private boolean needsSha256;
  private boolean mentionsInterpreter;
  private boolean mentionsTraced;
  private boolean mentionsInjected;
  private boolean mentionsNamespaced;
  private boolean mentionsHardened;
  private final Set<String> mentionedEntitlements = new HashSet<>();

  PolicyParser(String text) {
    this.text = text;
  }

  Parsed parse() throws PolicyParseException {
    if (text.length() > MAX_LENGTH) {
      throw new PolicyParseException("the policy is " + text.length() + " characters long; the limit is "
          + MAX_LENGTH, 1, 1);
    }
    lexer = new PolicyLexer(text);
    advance();
    if (current.kind() == Kind.END) {
      throw new PolicyParseException("empty policy: expected a predicate such as 'signed'"
          + " (a policy must say what it allows)", current.line(), current.column());
    }
    PolicyExpr root = parseOr(0);
    if (current.kind() != Kind.END) {
      expected.add("end of policy");
      throw unexpected();
    }
    SecureDefaults defaults = new SecureDefaults(mentionsInterpreter, mentionsTraced, mentionsInjected,
        mentionsHardened, mentionedEntitlements, mentionsNamespaced);
    return new Parsed(root, needsSha256, defaults);
  }

  private PolicyExpr parseOr(int depth) throws PolicyParseException {
    List<PolicyExpr> alternatives = new ArrayList<>();
    alternatives.add(parseAnd(depth));
    while (acceptWord("or")) {
      alternatives.add(parseAnd(depth));
    }
    return alternatives.size() == 1 ? alternatives.get(0) : new PolicyExpr.AnyOf(alternatives);
  }

  private PolicyExpr parseAnd(int depth) throws PolicyParseException {
    List<PolicyExpr> clauses = new ArrayList<>();
    clauses.add(parseUnary(depth));
    while (acceptWord("and")) {
      clauses.add(parseUnary(depth));
    }
    return clauses.size() == 1 ? clauses.get(0) : new PolicyExpr.AllOf(clauses);
  }

  private PolicyExpr parseUnary(int depth) throws PolicyParseException {
    if (depth >= MAX_DEPTH) {
      throw error("the policy nests 'not' and parentheses deeper than " + MAX_DEPTH + " levels");
    }
    if (acceptWord("not")) {
      return new PolicyExpr.Not(parseUnary(depth + 1));
    }
    if (current.kind() == Kind.LPAREN) {
      advance();
      PolicyExpr inner = parseOr(depth + 1);
      expect(Kind.RPAREN, "')'");
      return inner;
    }
    expected.add("'('");
    return parsePredicate();
  }

  private PolicyExpr parsePredicate() throws PolicyParseException {
    String word = current.kind() == Kind.WORD ? current.text() : "";
    switch (word) {
      case "signed":
        advance();
        return acceptWord("by") ? new SignaturePredicates.SignedBy(expectText("the name of a trust entry"))
            : new SignaturePredicates.Signed();
      case "uid":
      case "gid":
        advance();
        return parseId(word.equals("uid") ? Id.UID : Id.GID);
      case "user":
      case "group":
        advance();
        expectEquals();
        return new ProcessPredicates.Name(word.equals("user") ? Id.UID : Id.GID,
            expectText(word.equals("user") ? "a user name" : "a group name"));
      case "path":
        advance();
        return parsePath();
      case "sha256":
        advance();
        expectEquals();
        needsSha256 = true;
        return new ExecutablePredicates.Sha256Is(expectHex("sha256 =", false));
      case "platform":
        advance();
        expectEquals();
        return new ExecutablePredicates.PlatformIs(expectPlatform());
      case "team":
        advance();
        expectEquals();
        return new SignaturePredicates.Team(expectText("an Apple Team ID"));
      case "identifier":
        advance();
        // Apple's requirement language writes 'identifier "com.vendor.app"'; accept both forms.
        if (current.kind() == Kind.OPERATOR && current.text().equals("=")) {
          advance();
        } else {
          expected.add("'='");
        }
        return new SignaturePredicates.Identifier(expectText("a signing identifier"));
      case "certificate":
        advance();
        return parseCertificate();
      case "interpreter":
        advance();
        mentionsInterpreter = true;
        return new RiskPredicates.Interpreter();
      case "traced":
        advance();
        mentionsTraced = true;
        return new RiskPredicates.Traced();
      case "injected":
        advance();
        mentionsInjected = true;
        return new RiskPredicates.Injected();
      case "namespaced":
        advance();
        mentionsNamespaced = true;
        return new RiskPredicates.Namespaced();
      case "protected":
        advance();
        return new RiskPredicates.Protected();
      case "hardened":
        advance();
        mentionsHardened = true;
        return new SignaturePredicates.Hardened();
      case "anchor":
        advance();
        expectWord("apple");
        return new SignaturePredicates.AppleAnchor(acceptWord("generic"));
      case "entitlement":
        advance();
        String key = expectText("an entitlement key");
        mentionedEntitlements.add(key);
        return new SignaturePredicates.Entitlement(key);
      default:
        expected.add("'not'");
        expected.add("a predicate (" + String.join(", ", PREDICATES) + ")");
        throw unexpected();
    }
  }

  private PolicyExpr parseId(Id id) throws PolicyParseException {
    if (current.kind() == Kind.OPERATOR) {
      Comparison comparison = Comparison.bySymbol(current.text()).orElseThrow();
      advance();
      return new ProcessPredicates.Compare(id, comparison, expectId(id));
    }
    if (acceptWord("in")) {
      expect(Kind.LBRACKET, "'['");
      List<Long> values = new ArrayList<>();
      values.add(expectId(id));
      while (current.kind() == Kind.COMMA) {
        advance();
        values.add(expectId(id));
      }
      expected.add("','");
      expect(Kind.RBRACKET, "']'");
      return new ProcessPredicates.In(id, values.stream().mapToLong(Long::longValue).toArray());
    }
    expected.add("a comparison (=, !=, <, <=, >, >=)");
    throw unexpected();
  }

  private PolicyExpr parsePath() throws PolicyParseException {
    if (current.kind() == Kind.OPERATOR && current.text().equals("=")) {
      advance();
      return new ExecutablePredicates.PathIs(expectText("a path"));
    }
    expected.add("'='");
    if (!current.isWord("matches")) {
      expected.add("'matches'");
      throw unexpected();
    }
    advance();
    PolicyToken patternToken = current;
    String pattern = expectText("a glob pattern");
    try {
      return new ExecutablePredicates.PathMatches(PathGlob.compile(pattern));
    } catch (PathGlob.SyntaxException e) {
      throw new PolicyParseException("bad glob pattern: " + e.getMessage(), patternToken.line(),
          patternToken.column());
    }
  }

  private PolicyExpr parseCertificate() throws PolicyParseException {
    CertificatePosition position;
    if (acceptWord("leaf")) {
      position = CertificatePosition.leaf();
    } else if (acceptWord("root")) {
      position = CertificatePosition.root();
    } else if (current.kind() == Kind.WORD && isDigits(current.text())) {
      position = CertificatePosition.at(expectUnsigned("a certificate index", MAX_ID));
    } else {
      expected.add("a certificate index (0 is the leaf)");
      throw unexpected();
    }
    expect(Kind.LBRACKET, "'['");
    Optional<CertificateField> field = current.kind() == Kind.WORD
        ? CertificateField.byKeyword(current.text()) : Optional.empty();
    if (field.isEmpty()) {
      expected.add("a certificate field (subject.CN, subject.O, subject.OU or sha256)");
      throw unexpected();
    }
    advance();
    expect(Kind.RBRACKET, "']'");
    expectEquals();
    String value;
    if (field.get() == CertificateField.SHA256) {
      value = HexFormat.of().formatHex(expectHex("certificate " + position.keyword() + "[sha256] =", true));
    } else {
      value = expectText("the " + field.get().keyword + " value");
    }
    return new SignaturePredicates.Certificate(position, field.get(), value);
  }

  private Platform expectPlatform() throws PolicyParseException {
    for (Platform p : Platform.values()) {
      if (acceptWord(p.id())) {
        return p;
      }
    }
    throw unexpected();
  }

  private long expectId(Id id) throws PolicyParseException {
    return expectUnsigned("a " + id.keyword, MAX_ID);
  }

  private long expectUnsigned(String what, long max) throws PolicyParseException {
    if (current.kind() != Kind.WORD || !isDigits(current.text())) {
      expected.add("an integer (" + what + ", 0.." + max + ")");
      throw unexpected();
    }
    String digits = current.text();
    String trimmed = digits.replaceFirst("^0+(?=.)", "");
    if (trimmed.length() > 10 || Long.parseLong(trimmed) > max) {
      throw error(digits + " is out of range for " + what + " (0.." + max + ")");
    }
    advance();
    return Long.parseLong(trimmed);
  }

  /**
   * 64 hex digits, bare or quoted; with {@code colons} also the {@code AB:CD:...} form that
   * {@code openssl x509 -fingerprint -sha256} prints.
   */
  private byte[] expectHex(String clause, boolean colons) throws PolicyParseException {
    if (current.kind() != Kind.WORD && current.kind() != Kind.STRING) {
      expected.add("64 hex digits (a SHA-256 digest)");
      throw unexpected();
    }
    String hex = current.text();
    if (colons && hex.length() == 95 && hex.matches("(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}")) {
      hex = hex.replace(":", "");
    }
    if (hex.length() != 64 || !hex.matches("[0-9A-Fa-f]*")) {
      throw error(clause + " needs 64 hex digits (a SHA-256 digest) but found " + current.display()
          + (hex.length() == 64 ? ", which has characters that are not hex digits"
              : " (" + hex.length() + " characters)"));
    }
    advance();
    return HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT));
  }

  private String expectText(String what) throws PolicyParseException {
    if (current.kind() != Kind.STRING) {
      expected.add("a string in double quotes (" + what + ")");
      PolicyParseException e = unexpected();
      if (current.kind() == Kind.WORD && !current.text().equals("and") && !current.text().equals("or")) {
        return failWithHint(e, " (write it in double quotes: \"" + current.text() + "\")");
      }
      throw e;
    }
    if (current.text().isEmpty()) {
      throw error("empty string: expected " + what);
    }
    String value = current.text();
    advance();
    return value;
  }

  private static String failWithHint(PolicyParseException e, String hint) throws PolicyParseException {
    throw new PolicyParseException(e.problem() + hint, e.line(), e.column());
  }

  private void expectEquals() throws PolicyParseException {
    if (current.kind() == Kind.OPERATOR && current.text().equals("=")) {
      advance();
      return;
    }
    expected.add("'='");
    throw unexpected();
  }

  private void expectWord(String word) throws PolicyParseException {
    if (!acceptWord(word)) {
      throw unexpected();
    }
  }

  private void expect(Kind kind, String label) throws PolicyParseException {
    if (current.kind() != kind) {
      expected.add(label);
      throw unexpected();
    }
    advance();
  }

  private boolean acceptWord(String word) throws PolicyParseException {
    if (current.isWord(word)) {
      advance();
      return true;
    }
    expected.add("'" + word + "'");
    return false;
  }

  private void advance() throws PolicyParseException {
    current = lexer.next();
    expected.clear();
  }

  private PolicyParseException error(String message) {
    return new PolicyParseException(message, current.line(), current.column());
  }

  private PolicyParseException unexpected() {
    List<String> options = new ArrayList<>(expected);
    StringBuilder sb = new StringBuilder("expected ");
    for (int i = 0; i < options.size(); i++) {
      if (i > 0) {
        sb.append(i == options.size() - 1 ? " or " : ", ");
      }
      sb.append(options.get(i));
    }
    sb.append(" but found ").append(current.display());
    suggestion().ifPresent(s -> sb.append(" (did you mean '").append(s).append("'?)"));
    return error(sb.toString());
  }

  /** A keyword close to a mistyped word, when one of the expected things is a keyword. */
  private Optional<String> suggestion() {
    if (current.kind() != Kind.WORD || current.text().length() < 3) {
      return Optional.empty();
    }
    List<String> candidates = new ArrayList<>(PREDICATES);
    candidates.addAll(OTHER_WORDS);
    String best = null;
    int bestDistance = 3;
    for (String candidate : candidates) {
      boolean plausible = expected.contains("'" + candidate + "'")
          || PREDICATES.contains(candidate) && expected.stream().anyMatch(e -> e.startsWith("a predicate"))
          || candidate.startsWith("subject.") && expected.stream().anyMatch(e -> e.startsWith("a certificate field"));
      if (!plausible) {
        continue;
      }
      int d = distance(current.text(), candidate, bestDistance);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    return Optional.ofNullable(best);
  }

  /** Edit distance (with adjacent transpositions), cut off at {@code limit} to stay cheap on long words. */
  private static int distance(String a, String b, int limit) {
    if (Math.abs(a.length() - b.length()) >= limit || a.length() > 64) {
      return limit;
    }
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  private static boolean isDigits(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }
}
