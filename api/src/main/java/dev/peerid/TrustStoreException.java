package dev.peerid;

/** A trust or revocation input could not be read or understood; the message names the input. */
public final class TrustStoreException extends Exception {
  public TrustStoreException(String message) {
    super(message);
  }

  public TrustStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
