package dev.peerid.linux.ima;

/** A {@code security.ima} value (or evmctl sidecar) that does not follow the kernel's format. */
public final class ImaFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  public ImaFormatException(String message) {
    super(message);
  }
}
