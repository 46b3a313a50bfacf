package dev.peerid.macos;

/** A signature that parsed but does not verify; the message is the reason given to the caller. */
final class SignatureMismatchException extends Exception {
  private static final long serialVersionUID = 1L;

  SignatureMismatchException(String message) {
    super(message);
  }

  SignatureMismatchException(String message, Throwable cause) {
    super(message, cause);
  }
}
