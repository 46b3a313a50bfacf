package dev.peerid;

/**
 * One token of a policy text, with its 1-based position. For a {@link Kind#STRING} the text is
 * the decoded value; {@link #source()} is what the author wrote, for error messages.
 */
record PolicyToken(Kind kind, String text, String source, int line, int column) {

  enum Kind {
    WORD, STRING, LPAREN, RPAREN, LBRACKET, RBRACKET, COMMA, OPERATOR, END
  }

  boolean isWord(String word) {
    return kind == Kind.WORD && text.equals(word);
  }

  /** How an error message names this token. */
  String display() {
    if (kind == Kind.END) {
      return "end of policy";
    }
    String shown = source.length() > 40 ? source.substring(0, 37) + "..." : source;
    return kind == Kind.STRING ? "string " + shown : "'" + shown + "'";
  }
}
