package dev.peerid.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs the one-command demo, with the signature in security.ima (root) and in a sidecar. */
class DemoTest {
  @ParameterizedTest
  @ValueSource(strings = {"", "--sidecar"})
  void theDemoServesOnlyTheSignedNativeClientAndCleansUp(String option) throws Exception {
    Tools.requireBackendAndPolicy();
    Tools.tool("curl");
    Tools.tool("python3");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] args = option.isEmpty() ? new String[] {"demo"} : new String[] {"demo", option};
    int status = BrokerMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, text + err.toString(StandardCharsets.UTF_8));
    assertTrue(text.matches("(?s).*signed copy of curl\\s+\\d+\\s+valid \\(demo-vendor\\)\\s+ALLOWED.*"), text);
    assertTrue(text.matches("(?s).*unsigned copy of curl\\s+\\d+\\s+unsigned\\s+DENIED.*"), text);
    assertTrue(text.matches("(?s).*signed copy of python3\\s+\\d+\\s+valid \\(demo-vendor\\)\\s+DENIED .*interpreter.*"),
        text);
    assertFalse(text.contains("NOT AS EXPECTED"), text);
    if (option.equals("--sidecar")) {
      assertTrue(text.contains("sidecar vendor-client.sig"), text);
    }
    Matcher m = Pattern.compile("cleaned up (\\S+)").matcher(text);
    assertTrue(m.find(), text);
    assertFalse(Files.exists(Path.of(m.group(1))), "the demo removes its temporary directory");
  }
}
