package dev.peerid.macos;

/**
 * A Mach-O file or its code signature is malformed: a count, offset or size out of bounds, an
 * unknown magic, a blob that does not fit. The message says which structure and which field.
 */
public final class MachOFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  public MachOFormatException(String message) {
    super(message);
  }

  public MachOFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
