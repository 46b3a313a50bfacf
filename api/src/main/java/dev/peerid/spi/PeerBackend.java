package dev.peerid.spi;

import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.Platform;
import java.util.Optional;

/**
 * One operating system's way of identifying peers. Found by {@link java.util.ServiceLoader}; every
 * backend loads on every OS and reports itself unsupported where it cannot work.
 */
public interface PeerBackend extends AutoCloseable {

  Platform platform();

  /** True when this backend works in this JVM on this OS. */
  boolean isSupported();

  /** Why {@link #isSupported()} is false; empty when it is true. */
  Optional<Throwable> unavailabilityCause();

  /** Throws {@link UnsupportedOperationException} with the cause when unsupported. */
  default void ensureSupported() {
    if (!isSupported()) {
      UnsupportedOperationException e =
          new UnsupportedOperationException("peerid " + platform().id() + " backend is not supported here");
      unavailabilityCause().ifPresent(e::initCause);
      throw e;
    }
  }

  /** True when this backend understands this kind of handle. */
  boolean accepts(PeerHandle handle);

  /**
   * Pins the peer process and reads its cheap facts. Fails when the identity cannot be established
   * (process gone, pid 0 from another namespace, unsupported handle).
   */
  PeerProcess attach(PeerHandle handle) throws PeerIdentificationException;

  /**
   * Attaches the peer only if that costs a few system calls, as for a process this backend
   * identified recently; empty when it would take more (reading the process in full), which the
   * caller then does with {@link #attach} on a thread where blocking is fine. Fails as
   * {@link #attach} does. The default is always empty.
   */
  default Optional<PeerProcess> attachIfKnown(PeerHandle handle) throws PeerIdentificationException {
    return Optional.empty();
  }

  /**
   * A check of the writer of each read from {@code socket}, whose peer {@code verified} is (the
   * caller keeps both). Empty when this backend cannot tell the writer of a read. The default is
   * always empty.
   */
  default Optional<ReadSenders> readSenders(PeerHandle socket, PeerProcess verified) throws PeerIdentificationException {
    return Optional.empty();
  }

  /**
   * Prepares a listening socket so that every connection accepted from it labels each write with
   * its writer from the first byte (on Linux: {@code SO_PASSCRED}, inherited by accepted sockets).
   * Without it, what a peer writes between the accept and {@link #readSenders} carries no writer,
   * and is refused. The default does nothing.
   */
  default void prepareListener(PeerHandle listeningSocket) throws PeerIdentificationException {}

  /**
   * Releases what the backend keeps between peers (descriptors of recently seen processes); it
   * stays usable. A {@code PeerVerifier} closes the backend it loaded itself, not one it was given.
   */
  @Override
  default void close() {}
}
