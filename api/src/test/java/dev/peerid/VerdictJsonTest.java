package dev.peerid;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VerdictJsonTest {
  @Test
  void writesNestedValuesAndEscapesStrings() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", "a\"b\\c\nd\u0001\u2028");
    m.put("n", 42L);
    m.put("b", true);
    m.put("none", null);
    m.put("opt", Optional.of("x"));
    m.put("empty", Optional.empty());
    m.put("list", Arrays.asList(1, "two", null, List.of()));
    assertEquals("{\"s\":\"a\\\"b\\\\c\\nd\\u0001\\u2028\",\"n\":42,\"b\":true,\"none\":null,\"opt\":\"x\","
        + "\"empty\":null,\"list\":[1,\"two\",null,[]]}", VerdictJson.write(m));
  }

  @Test
  void aVerdictHasTheDocumentedFieldsInOrder() {
    Signer signer = Signer.builder().keyId("1a2b3c4d").trustName("vendor").build();
    CodeSignature sig = CodeSignature.builder(SignatureFormat.IMA, SignatureStatus.VALID).signer(signer)
        .digest(Digest.of("SHA-256", new byte[] {1, 2})).build();
    ProcessInfo process = new ProcessInfo(42, 1000, 1000, List.of(), Optional.empty(), Optional.empty(), "pidfd", false);
    PeerIdentity peer = PeerIdentity.ofProcess(Platform.LINUX, process,
        new ExecutableInfo("/opt/v/client", new FileIdentity(1, 2, 3, 4, 5)), sig, RiskFacts.NONE);
    assertEquals("{\"path\":\"/opt/v/client\",\"pid\":42,\"format\":\"ima\",\"status\":\"valid\","
        + "\"signer\":{\"keyId\":\"1a2b3c4d\",\"trustName\":\"vendor\"},"
        + "\"digest\":{\"algorithm\":\"sha256\",\"hex\":\"0102\"},\"decision\":\"allow\",\"reasons\":[\"ok\"]}",
        VerdictJson.toJson(Verdict.allow(peer, List.of("ok"))));

    String unknown = VerdictJson.write(VerdictJson.toMap(Verdict.deny(null, "process 7 exited"), "pid 7"));
    assertEquals("{\"path\":\"pid 7\",\"format\":\"none\",\"status\":\"unknown\",\"signer\":null,"
        + "\"digest\":null,\"decision\":\"deny\",\"reasons\":[\"process 7 exited\"]}", unknown);
  }

  @Test
  void escapesEveryControlCharacterAsTheFormattedEscapeDid() {
    StringBuilder in = new StringBuilder("x");
    StringBuilder expected = new StringBuilder("\"x");
    for (char c = 0; c < 0x20; c++) {
      in.append(c).append("\u00e9\u20ac");
      String esc = switch (c) {
        case '\n' -> "\\n";
        case '\r' -> "\\r";
        case '\t' -> "\\t";
        default -> String.format("\\u%04x", (int) c);
      };
      expected.append(esc).append("\u00e9\u20ac");
    }
    in.append('\u2029').append("end");
    expected.append("\\u2029end\"");
    assertEquals(expected.toString(), VerdictJson.write(in.toString()));
  }
}
