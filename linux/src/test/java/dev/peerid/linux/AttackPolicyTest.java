package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.PolicyParseException;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Policy texts an attacker might get in front of the parser (a policy file they can influence, a
 * config template): deep nesting, huge input, look-alike characters, broken strings. Each is a
 * typed {@link PolicyParseException} (never a StackOverflowError or another RuntimeException) or a
 * policy that still denies an unsigned program.
 */
@Timeout(60)
class AttackPolicyTest {

  private static PolicyParseException rejects(String text) {
    return assertThrows(PolicyParseException.class, () -> Policy.parse(text), () -> "accepted: " + abbreviate(text));
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "... (" + s.length() + " chars)" : s;
  }

  @Test
  void deepNestingIsAParseErrorNotAStackOverflow() {
    assertTrue(rejects("(".repeat(100_000) + "signed" + ")".repeat(100_000)).getMessage().contains("long"));
    assertTrue(rejects("(".repeat(20_000) + "signed" + ")".repeat(20_000)).getMessage().contains("deeper"));
    assertTrue(rejects("not ".repeat(10_000) + "signed").getMessage().contains("deeper"));
    rejects("(not ".repeat(5_000) + "signed");
  }

  @Test
  void hugeInputIsRejectedBeforeParsing() {
    rejects("signed or ".repeat(1_000_000) + "signed");
    rejects("signed by \"" + "v".repeat(200_000) + "\"");
    rejects("#" + "x".repeat(100_000) + "\nsigned");
  }

  @Test
  void longestAcceptedFlatPolicyParses() throws Exception {
    String flat = "signed and uid >= 0 or ".repeat(2_500) + "signed";
    assertTrue(flat.length() < 64 * 1024);
    assertNotNull(Policy.parse(flat));
  }

  @Test
  void lookAlikeAndInvisibleCharactersAreNotKeywords() {
    rejects("\u0455igned"); // Cyrillic dze for 's'
    rejects("signed\u200b"); // zero-width space glued to the keyword
    rejects("signed\u00a0or interpreter"); // no-break space as a blank
    rejects("uid = \uff11\uff10\uff10\uff10"); // fullwidth digits
    rejects("uid = \u0661\u0660\u0660\u0660"); // Arabic-Indic digits
    rejects("SIGNED");
    rejects("signed \u2028or interpreter"); // Unicode line separator
  }

  @Test
  void brokenStringsAndNumbersAreParseErrors() {
    rejects("signed by \"vendor");
    rejects("signed by \"ven\ndor\"");
    rejects("signed by \"vendor\\\"");
    rejects("signed by \"a\u0000b\"");
    rejects("path = \"\\q\"");
    rejects("uid = 4294967296");
    rejects("uid = 99999999999999999999999");
    rejects("uid = -1");
    rejects("uid in []");
    rejects("uid in [1,]");
    rejects("sha256 = " + "a".repeat(63));
    rejects("sha256 = " + "g".repeat(64));
    rejects("");
    rejects("# only a comment");
    rejects("\ud800 signed"); // lone surrogate
  }

  @Test
  void tokenSoupNeverEscapesAsAnotherException() {
    List<String> tokens = List.of("signed", "by", "\"vendor\"", "not", "and", "or", "(", ")", "uid", "gid", "in",
        "[", "]", ",", "=", "!=", "<", "<=", ">", ">=", "0", "4294967295", "path", "matches", "\"/opt/**\"",
        "interpreter", "traced", "injected", "certificate", "leaf", "root", "subject.CN", "sha256", "platform",
        "linux", "team", "identifier", "anchor", "apple", "generic", "entitlement", "hardened", "#", "\n", "\"",
        "\\", "\u0000", "\u202e", "user", "group");
    Random random = new Random(20261124L);
    int parsed = 0;
    for (int i = 0; i < 20_000; i++) {
      StringBuilder b = new StringBuilder();
      int n = 1 + random.nextInt(12);
      for (int k = 0; k < n; k++) {
        b.append(tokens.get(random.nextInt(tokens.size()))).append(random.nextInt(4) == 0 ? "" : " ");
      }
      String text = b.toString();
      try {
        Policy.parse(text);
        parsed++;
      } catch (PolicyParseException expected) {
        assertNotNull(expected.getMessage());
      } catch (RuntimeException | StackOverflowError e) {
        throw new AssertionError("Policy.parse threw " + e + " for " + abbreviate(text), e);
      }
    }
    assertTrue(parsed > 0, "the soup also makes valid policies, so the parser was exercised past the first token");
  }

  @Test
  void parsedPoliciesFromTrickyTextsStillDenyAnUnsignedProgram(@TempDir Path dir) throws Exception {
    Path program = Files.copy(Tools.require("true"), dir.resolve("unsigned"));
    for (String text : List.of("signed", "signed by \"vendor\"", "signed by \"vendor\u202e\"",
        "signed and (interpreter or not interpreter)", "(((signed)))", "signed # or uid >= 0")) {
      try (PeerVerifier v = PeerVerifier.builder().trustStore(TrustStore.builder().build())
          .policy(Policy.parse(text)).build()) {
        Verdict verdict = v.verifyFile(program);
        assertFalse(verdict.isAllowed(), text + " allowed " + verdict);
        assertFalse(verdict.reasons().isEmpty());
      }
    }
  }
}
