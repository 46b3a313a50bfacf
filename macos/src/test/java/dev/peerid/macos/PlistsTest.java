package dev.peerid.macos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Property lists as Apple writes and reads them. */
class PlistsTest {
  static final String BODY = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      + "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
      + "<plist version=\"1.0\"><dict><key>com.apple.security.cs.allow-jit</key><true/>"
      + "<key>com.apple.security.cs.debugger</key><false/></dict></plist>\n";

  @Test
  void whitespaceOrAByteOrderMarkBeforeTheDeclarationIsSkippedAsApplesParserDoes() throws Exception {
    List<String> expected = List.of("com.apple.security.cs.allow-jit");
    assertEquals(expected, Plists.topLevelTrueKeys(BODY.getBytes(StandardCharsets.UTF_8)));
    // the Node.js binaries' entitlements begin with two spaces
    assertEquals(expected, Plists.topLevelTrueKeys(("  " + BODY).getBytes(StandardCharsets.UTF_8)));
    assertEquals(expected, Plists.topLevelTrueKeys(("\n\r\t " + BODY).getBytes(StandardCharsets.UTF_8)));
    byte[] bom = ("\ufeff" + BODY).getBytes(StandardCharsets.UTF_8);
    assertEquals(expected, Plists.topLevelTrueKeys(bom));
  }

  @Test
  void otherTextBeforeTheDeclarationIsStillRefused() {
    assertThrows(MachOFormatException.class,
        () -> Plists.topLevelTrueKeys(("x" + BODY).getBytes(StandardCharsets.UTF_8)));
    assertEquals(0, Plists.prologStart(new byte[0]));
    assertEquals(3, Plists.prologStart("   ".getBytes(StandardCharsets.US_ASCII)));
  }
}
