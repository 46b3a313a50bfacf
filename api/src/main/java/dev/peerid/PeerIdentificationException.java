package dev.peerid;

/**
 * The peer's identity could not be established (process gone, pid reused, pid in another
 * namespace, unsupported platform, unreadable executable). The message says which step failed.
 */
public final class PeerIdentificationException extends PeerVerificationException {
  public PeerIdentificationException(String message) {
    super(message, null);
  }

  public PeerIdentificationException(String message, Throwable cause) {
    super(message, cause);
  }
}
