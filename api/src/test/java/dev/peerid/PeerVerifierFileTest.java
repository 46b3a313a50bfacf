package dev.peerid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PeerVerifier with no platform module on the class path: everything denies, with reasons. */
class PeerVerifierFileTest {
  @TempDir Path dir;

  @Test
  void staleProviderEntryDoesNotStopTheVerifierAndUnknownFormatsDeny() throws Exception {
    // src/test/resources lists a verifier class that does not exist
    try (PeerVerifier verifier = PeerVerifier.builder().trustStore(TrustStore.empty())
        .policy(Policy.parse("signed or not signed")).build()) {
      Path file = Files.writeString(dir.resolve("tool"), "#!/bin/sh\n");
      Verdict v = verifier.verifyFile(file);
      PeerIdentity id = v.identity().orElseThrow();
      assertEquals(SignatureFormat.NONE, id.signature().format());
      assertEquals(SignatureStatus.UNSIGNED, id.signature().status());
      assertTrue(v.isAllowed(), "the policy allows anything here: " + v);

      assertThrows(IOException.class, () -> verifier.verifyFile(dir));
      assertThrows(IOException.class, () -> verifier.verifyFile(dir.resolve("missing")));
    }
  }

  @Test
  void withoutABackendAPeerIsDeniedWithAReason() throws Exception {
    try (PeerVerifier verifier = PeerVerifier.builder().trustStore(TrustStore.empty())
        .policy(Policy.parse("signed or not signed")).build()) {
      if (verifier.backend() != null) {
        return; // a platform module is on the class path: the live tests in that module cover this
      }
      Verdict v = verifier.verify(PeerHandle.pid(ProcessHandle.current().pid()));
      assertFalse(v.isAllowed());
      assertTrue(v.reasons().get(0).contains("no peerid backend"), v.reasons().toString());
      assertThrows(PeerIdentificationException.class,
          () -> verifier.authenticate(PeerHandle.pid(ProcessHandle.current().pid())));
    }
  }
}
