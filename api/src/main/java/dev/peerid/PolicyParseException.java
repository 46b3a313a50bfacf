package dev.peerid;

/** A policy text could not be parsed; the message names the line, column and what was expected. */
public final class PolicyParseException extends Exception {
  private final int line;
  private final int column;

  public PolicyParseException(String message, int line, int column) {
    super(line + ":" + column + ": " + message);
    this.line = line;
    this.column = column;
  }

  public int line() {
    return line;
  }

  public int column() {
    return column;
  }
}
