package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerHandle;
import dev.peerid.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The capability probe: a disabled (or non-Linux) backend loads, says why, and refuses to work. */
class LinuxPeerBackendCapabilityTest {

  @Test
  void disabledBackendReportsItselfUnsupportedWithACause() {
    LinuxPeerBackend backend;
    System.setProperty(LinuxPeerBackend.DISABLE_PROPERTY, "true");
    try {
      backend = new LinuxPeerBackend();
    } finally {
      System.clearProperty(LinuxPeerBackend.DISABLE_PROPERTY);
    }
    assertEquals(Platform.LINUX, backend.platform());
    assertFalse(backend.isSupported());
    Throwable cause = backend.unavailabilityCause().orElseThrow();
    assertTrue(cause.getMessage().contains(LinuxPeerBackend.DISABLE_PROPERTY), cause.getMessage());
    UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, backend::ensureSupported);
    assertSame(cause, e.getCause());
    assertThrows(UnsupportedOperationException.class, () -> backend.attach(PeerHandle.pid(1)));
    assertTrue(backend.accepts(PeerHandle.socket(0)), "what it accepts does not depend on the OS");
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void foreignHandlesAreNotAccepted() {
    LinuxPeerBackend backend = new LinuxPeerBackend();
    PeerHandle foreign = new PeerHandle() { };
    assertFalse(backend.accepts(foreign));
    assertThrows(dev.peerid.PeerIdentificationException.class, () -> backend.attach(foreign));
  }
}
