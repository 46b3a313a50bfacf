package dev.peerid;

/**
 * A policy text could not be parsed. The message reads {@code LINE:COLUMN: problem}, naming what
 * was expected and what was found, e.g.
 * {@code 1:8: expected 'by', 'and', 'or' or end of policy but found 'sigend'}.
 */
public final class PolicyParseException extends Exception {
  private final int line;
  private final int column;
  private final String problem;

  /**
   * @param message what is wrong, without the position
   * @param line    1-based line of the offending text
   * @param column  1-based column (in UTF-16 characters) of the offending text
   */
  public PolicyParseException(String message, int line, int column) {
    super(line + ":" + column + ": " + message);
    this.line = line;
    this.column = column;
    this.problem = message;
  }

  /** The 1-based line of the offending text. */
  public int line() {
    return line;
  }

  /** The 1-based column of the offending text, counting a tab as one column. */
  public int column() {
    return column;
  }

  /** What is wrong, without the position (for tools that show the position their own way). */
  public String problem() {
    return problem;
  }
}
