package dev.peerid;

import dev.peerid.PolicyToken.Kind;

/**
 * Splits a policy text into tokens. Words are runs of ASCII letters, digits, {@code _ . -}, so
 * that keywords, integers, hex digests and certificate fields are all words and the parser, which
 * knows what it expects, judges them. {@code #} starts a comment that runs to the end of the line.
 */
final class PolicyLexer {
  private final String text;
  private int pos;
  private int line = 1;
  private int lineStart;

  PolicyLexer(String text) {
    this.text = text;
  }

  PolicyToken next() throws PolicyParseException {
    skipBlanksAndComments();
    int startLine = line;
    int startColumn = column();
    if (pos >= text.length()) {
      return new PolicyToken(Kind.END, "", "", startLine, startColumn);
    }
    char c = text.charAt(pos);
    switch (c) {
      case '(':
        return single(Kind.LPAREN, startColumn);
      case ')':
        return single(Kind.RPAREN, startColumn);
      case '[':
        return single(Kind.LBRACKET, startColumn);
      case ']':
        return single(Kind.RBRACKET, startColumn);
      case ',':
        return single(Kind.COMMA, startColumn);
      case '=':
        return single(Kind.OPERATOR, startColumn);
      case '<':
      case '>':
        return operator(startColumn, pos + 1 < text.length() && text.charAt(pos + 1) == '=' ? 2 : 1);
      case '!':
        if (pos + 1 < text.length() && text.charAt(pos + 1) == '=') {
          return operator(startColumn, 2);
        }
        throw new PolicyParseException("unexpected character '!'; write 'not' to negate, '!=' to compare",
            line, startColumn);
      case '"':
        return string(startColumn);
      default:
        if (isWordChar(c)) {
          int start = pos;
          while (pos < text.length() && isWordChar(text.charAt(pos))) {
            pos++;
          }
          String word = text.substring(start, pos);
          return new PolicyToken(Kind.WORD, word, word, startLine, startColumn);
        }
        throw new PolicyParseException("unexpected character " + describe(c) + hint(c), line, startColumn);
    }
  }

  private void skipBlanksAndComments() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == '\n') {
        pos++;
        line++;
        lineStart = pos;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
        pos++;
      } else if (c == '#') {
        while (pos < text.length() && text.charAt(pos) != '\n') {
          pos++;
        }
      } else {
        return;
      }
    }
  }

  private PolicyToken single(Kind kind, int startColumn) {
    String s = String.valueOf(text.charAt(pos++));
    return new PolicyToken(kind, s, s, line, startColumn);
  }

  private PolicyToken operator(int startColumn, int length) {
    String s = text.substring(pos, pos + length);
    pos += length;
    return new PolicyToken(Kind.OPERATOR, s, s, line, startColumn);
  }

  private PolicyToken string(int startColumn) throws PolicyParseException {
    int start = pos;
    pos++;
    StringBuilder value = new StringBuilder();
    while (true) {
      if (pos >= text.length() || text.charAt(pos) == '\n') {
        throw new PolicyParseException("unterminated string: a string must end with '\"' on the line it starts",
            line, startColumn);
      }
      char c = text.charAt(pos);
      if (c == '"') {
        pos++;
        return new PolicyToken(Kind.STRING, value.toString(), text.substring(start, pos), line, startColumn);
      }
      if (c == '\\') {
        char escaped = pos + 1 < text.length() ? text.charAt(pos + 1) : '\0';
        if (escaped != '"' && escaped != '\\') {
          throw new PolicyParseException("unknown escape in string: only \\\" and \\\\ are allowed",
              line, column());
        }
        value.append(escaped);
        pos += 2;
      } else if (c < 0x20 && c != '\t' || c == 0x7f) {
        throw new PolicyParseException("control character " + describe(c) + " in string", line, column());
      } else {
        value.append(c);
        pos++;
      }
    }
  }

  private int column() {
    return pos - lineStart + 1;
  }

  private static boolean isWordChar(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-';
  }

  private static String describe(char c) {
    String code = String.format("U+%04X", (int) c);
    return c >= 0x20 && c < 0x7f ? "'" + c + "' (" + code + ")" : code;
  }

  private static String hint(char c) {
    switch (c) {
      case '&':
        return "; write 'and'";
      case '|':
        return "; write 'or'";
      case '\'':
        return "; strings use double quotes";
      default:
        return "";
    }
  }
}
