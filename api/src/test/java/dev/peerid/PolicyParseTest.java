package dev.peerid;

import static dev.peerid.PolicyAssertions.allowed;
import static dev.peerid.PolicyAssertions.denied;
import static dev.peerid.PolicyAssertions.parseError;
import static dev.peerid.PolicyAssertions.policy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What parses, and where and why what does not. */
class PolicyParseTest {

  private static void error(String text, int line, int column, String fragment) {
    PolicyParseException e = parseError(text);
    assertTrue(e.getMessage().contains(fragment), () -> "message of '" + text + "': " + e.getMessage());
    assertEquals(line, e.line(), () -> "line of " + e.getMessage());
    assertEquals(column, e.column(), () -> "column of " + e.getMessage());
    assertTrue(e.getMessage().startsWith(line + ":" + column + ": "), e.getMessage());
  }

  @Test
  void misspelledWordAfterAPredicate() {
    PolicyParseException e = parseError("signed sigend");
    assertEquals("1:8: expected 'by', 'and', 'or' or end of policy but found 'sigend'", e.getMessage());
    assertEquals("expected 'by', 'and', 'or' or end of policy but found 'sigend'", e.problem());
  }

  @Test
  void unknownPredicateIsAParseErrorWithASuggestion() {
    error("sigend", 1, 1, "expected 'not', '(' or a predicate (signed, uid, gid");
    error("sigend", 1, 1, "but found 'sigend' (did you mean 'signed'?)");
    error("signed and\n  intepreter", 2, 3, "(did you mean 'interpreter'?)");
    error("SIGNED", 1, 1, "but found 'SIGNED'");
    error("true", 1, 1, "but found 'true'");
  }

  @Test
  void positionsCountLinesAndColumnsAfterComments() {
    error("# allow the vendor\nsigned by \"vendor\"\n  and uid >= x", 3, 14, "expected an integer (a uid");
    error("signed\r\nand\tuid ~ 3", 2, 9, "unexpected character '~'");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "``                          | 1 | 1  | empty policy",
      "`   # only a comment\n`     | 2 | 1  | empty policy",
      "signed and                  | 1 | 11 | expected 'not', '(' or a predicate",
      "(signed                     | 1 | 8  | expected 'by', 'and', 'or' or ')' but found end of policy",
      "signed)                     | 1 | 7  | expected 'by', 'and', 'or' or end of policy but found ')'",
      "()                          | 1 | 2  | expected 'not', '(' or a predicate",
      "signed by                   | 1 | 10 | expected a string in double quotes (the name of a trust entry)",
      "signed by vendor            | 1 | 11 | but found 'vendor' (write it in double quotes: \"vendor\")",
      "signed by \"\"              | 1 | 11 | empty string",
      "signed by \"vendor          | 1 | 11 | unterminated string",
      "signed by \"a\\tb\"         | 1 | 13 | unknown escape",
      "uid                         | 1 | 4  | expected 'in' or a comparison (=, !=, <, <=, >, >=)",
      "uid == 0                    | 1 | 6  | expected an integer",
      "uid = -1                    | 1 | 7  | but found '-1'",
      "uid = 4294967296            | 1 | 7  | 4294967296 is out of range for a uid (0..4294967295)",
      "gid < 99999999999999999999  | 1 | 7  | out of range",
      "uid in []                   | 1 | 9  | expected an integer",
      "uid in [1,]                 | 1 | 11 | expected an integer",
      "uid in [1 2]                | 1 | 11 | expected ',' or ']' but found '2'",
      "uid in 1                    | 1 | 8  | expected '['",
      "user alice                  | 1 | 6  | expected '='",
      "user = alice                | 1 | 8  | expected a string in double quotes (a user name)",
      "path ~ \"x\"                | 1 | 6  | unexpected character '~'",
      "path like \"x\"             | 1 | 6  | expected '=' or 'matches' but found 'like'",
      "path matches \"/opt/[a-\"   | 1 | 14 | bad glob pattern: '[' at character 6 has no closing ']'",
      "path matches \"/opt/[z-a]\" | 1 | 14 | is reversed",
      "sha256 = abc                | 1 | 10 | sha256 = needs 64 hex digits (a SHA-256 digest) but found 'abc' (3 characters)",
      "platform = darwin           | 1 | 12 | expected 'linux', 'macos' or 'windows' but found 'darwin'",
      "platform = Linux            | 1 | 12 | but found 'Linux'",
      "team = TEAM                 | 1 | 8  | expected a string in double quotes (an Apple Team ID)",
      "identifier com.x            | 1 | 12 | expected '=' or a string in double quotes",
      "certificate                 | 1 | 12 | expected 'leaf', 'root' or a certificate index",
      "certificate middle[sha256] = \"\" | 1 | 13 | but found 'middle'",
      "certificate leaf            | 1 | 17 | expected '['",
      "certificate leaf[subject.cn] = \"x\" | 1 | 18 | expected a certificate field (subject.CN, subject.O, subject.OU or sha256) but found 'subject.cn' (did you mean 'subject.CN'?)",
      "certificate leaf[subject.CN = \"x\" | 1 | 29 | expected ']'",
      "certificate leaf[subject.CN] \"x\"  | 1 | 30 | expected '='",
      "certificate 4294967296[sha256] = \"x\" | 1 | 13 | out of range",
      "certificate root[sha256] = \"abcd\" | 1 | 28 | needs 64 hex digits",
      "anchor                      | 1 | 7  | expected 'apple'",
      "anchor apple specific       | 1 | 14 | expected 'generic', 'and', 'or' or end of policy",
      "entitlement                 | 1 | 12 | expected a string in double quotes (an entitlement key)",
      "entitlement \"\"            | 1 | 13 | empty string",
      "signed && uid = 0           | 1 | 8  | unexpected character '&' (U+0026); write 'and'",
      "!signed                     | 1 | 1  | write 'not' to negate",
      "signed by 'vendor'          | 1 | 11 | strings use double quotes",
      "not                         | 1 | 4  | expected 'not', '(' or a predicate",
      "signed or or signed         | 1 | 11 | but found 'or'",
      "signed signed               | 1 | 8  | but found 'signed'",
      "interpreter = true          | 1 | 13 | expected 'and', 'or' or end of policy but found '='",
  })
  void errors(String text, int line, int column, String fragment) {
    error(text.replace("\\n", "\n"), line, column, fragment);
  }

  @Test
  void controlCharactersInStrings() {
    error("path = \"/a\u0000b\"", 1, 11, "control character U+0000 in string");
    error("path = \"/a\nb\"", 1, 8, "unterminated string");
    error("signed \u00e9", 1, 8, "unexpected character U+00E9");
    error("signed || uid = 0", 1, 8, "unexpected character '|' (U+007C); write 'or'");
  }

  @Test
  void tooLongPolicy() {
    String text = "signed or ".repeat(7000) + "signed";
    assertTrue(text.length() > 64 * 1024);
    error(text, 1, 1, "the policy is " + text.length() + " characters long; the limit is 65536");
    // Just under the limit is fine, and evaluates.
    String fits = "uid = 1 or ".repeat(5000) + "signed";
    assertTrue(fits.length() <= 64 * 1024);
    allowed(fits, TestPeers.running().build());
  }

  @Test
  void nestingIsBoundedWithoutStackOverflow() {
    String deep64 = "(".repeat(63) + "signed" + ")".repeat(63);
    allowed(deep64, TestPeers.running().build());
    error("(".repeat(64) + "signed" + ")".repeat(64), 1, 65, "deeper than 64 levels");
    error("not ".repeat(100) + "signed", 1, 257, "deeper than 64 levels");
    error("(".repeat(60000), 1, 65, "deeper than 64 levels");
  }

  @Test
  void longFlatChainsNeedNoRecursion() {
    String chain = "uid = 5 and ".repeat(3000) + "signed";
    denied(chain, TestPeers.running().build());
  }

  @Test
  void whitespaceCommentsAndEscapes() {
    PeerIdentity p = TestPeers.running().path("/opt/we\"ird\\path").build();
    allowed("  # leading comment\n\tpath = \"/opt/we\\\"ird\\\\path\"   # trailing\n\n", p);
    allowed("signed#no space needed\nand(uid=1000)and(gid!=0)", TestPeers.running().build());
    allowed("uid in[1000]and certificate 0[subject.CN]=\"x\" or signed", TestPeers.running().build());
  }

  @Test
  void hashInsideAStringIsNotAComment() {
    allowed("path = \"/opt/#1/client\" # the vendor's odd directory", TestPeers.running().path("/opt/#1/client")
        .build());
  }

  @Test
  void canonicalFormUsesMinimalParentheses() {
    assertEquals("signed and (uid = 0 or not (gid = 1 and user = \"a\\\"b\")) or platform = linux",
        policy("((signed) and (uid=0 or not(gid=1 and user=\"a\\\"b\"))) or (platform = linux) # c").canonical());
    assertEquals("uid in [1, 7, 9]", policy("uid in [9,07,1]").canonical());
    assertEquals("identifier = \"x\"", policy("identifier \"x\"").canonical());
  }

  @Test
  void keywordsAreCaseSensitiveButStringsKeepTheirCase() {
    parseError("Signed");
    parseError("signed BY \"x\"");
    parseError("uid IN [1]");
    denied("user = \"Alice\"", TestPeers.running().build());
  }

  @Test
  void hexMayBeQuotedAndFingerprintsMayUseColons() {
    assertTrue(policy("sha256 = \"" + TestPeers.SHA256_HEX + "\"").needsSha256());
    String colons = TestPeers.SHA256_HEX.toUpperCase(java.util.Locale.ROOT).replaceAll("(..)(?!$)", "$1:");
    assertEquals(95, colons.length());
    policy("certificate leaf[sha256] = \"" + colons + "\"");
    error("sha256 = " + colons.replace(":", "-").substring(0, 64), 1, 10, "not hex digits");
  }

  @Test
  void leadingZerosAreAllowed() {
    allowed("uid = 0001000", TestPeers.running().build());
  }
}
