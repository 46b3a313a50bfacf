package dev.peerid;

import dev.peerid.spi.PeerBackend;
import java.util.Optional;

/**
 * A backend for tests of what {@link PeerVerifier} does with the SPI: supported, Linux, taking
 * pid handles; subclasses say how a peer is attached. (The real backends are exercised with live
 * processes in their own modules.)
 */
abstract class InMemoryBackend implements PeerBackend {
  @Override
  public Platform platform() {
    return Platform.LINUX;
  }

  @Override
  public boolean isSupported() {
    return true;
  }

  @Override
  public Optional<Throwable> unavailabilityCause() {
    return Optional.empty();
  }

  @Override
  public boolean accepts(PeerHandle handle) {
    return handle instanceof PeerHandle.ProcessId;
  }
}
