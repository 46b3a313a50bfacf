package dev.peerid.windows.authenticode;

/** The bytes are not a well-formed PE image, or break a rule the verifier enforces. */
public final class PeFormatException extends Exception {
  public PeFormatException(String message) {
    super(message);
  }
}
