package dev.peerid;

import java.util.ArrayList;
import java.util.List;

/**
 * A path pattern: {@code *} matches any run of characters within one path segment, {@code ?}
 * one character of a segment, {@code **} any run across segments ({@code a/**}{@code /b} also
 * matches {@code a/b}), {@code [abc]}, {@code [a-z]} and {@code [!a-z]} (or {@code [^a-z]}) one
 * character of a segment from (or not from) a class. Both {@code /} and {@code \} separate
 * segments, so one pattern style serves Windows paths too; a backslash is therefore a literal
 * character, not an escape: write {@code [*]} to match a literal star.
 *
 * <p>Matching simulates the pattern as a set of states in one pass over the path (no
 * backtracking), so its cost is bounded by path length times pattern length whatever the pattern.
 */
final class PathGlob {
  /** Longest pattern accepted, which bounds the cost of one match. */
  static final int MAX_PATTERN = 4096;
  /** Longest path matched; a longer one does not match. */
  static final int MAX_PATH = 65536;

  private enum Kind { LITERAL, ONE, STAR, ANY_DEPTH, ANY_SEGMENTS, CLASS }

  private record Element(Kind kind, char literal, char[] ranges, boolean negated) {
    boolean accepts(char c) {
      switch (kind) {
        case LITERAL:
          return c == literal;
        case ONE:
          return !isSeparator(c);
        case CLASS:
          if (isSeparator(c)) {
            return false;
          }
          boolean inside = false;
          for (int i = 0; i < ranges.length; i += 2) {
            if (c >= ranges[i] && c <= ranges[i + 1]) {
              inside = true;
              break;
            }
          }
          return inside != negated;
        default:
          return false;
      }
    }
  }

  /** A malformed pattern; {@code index} is the 0-based position in the pattern. */
  static final class SyntaxException extends Exception {
    final int index;

    SyntaxException(String message, int index) {
      super(message);
      this.index = index;
    }
  }

  private final String pattern;
  private final Element[] elements;

  private PathGlob(String pattern, Element[] elements) {
    this.pattern = pattern;
    this.elements = elements;
  }

  static PathGlob compile(String pattern) throws SyntaxException {
    if (pattern.length() > MAX_PATTERN) {
      throw new SyntaxException("the pattern is " + pattern.length() + " characters long; the limit is "
          + MAX_PATTERN, MAX_PATTERN);
    }
    List<Element> out = new ArrayList<>();
    int i = 0;
    while (i < pattern.length()) {
      char c = pattern.charAt(i);
      if (c == '*') {
        if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
          boolean segments = i + 2 < pattern.length() && isSeparator(pattern.charAt(i + 2));
          out.add(new Element(segments ? Kind.ANY_SEGMENTS : Kind.ANY_DEPTH, '\0', null, false));
          i += segments ? 3 : 2;
        } else {
          out.add(new Element(Kind.STAR, '\0', null, false));
          i++;
        }
      } else if (c == '?') {
        out.add(new Element(Kind.ONE, '\0', null, false));
        i++;
      } else if (c == '[') {
        i = compileClass(pattern, i, out);
      } else {
        out.add(new Element(Kind.LITERAL, c, null, false));
        i++;
      }
    }
    return new PathGlob(pattern, out.toArray(new Element[0]));
  }

  private static int compileClass(String pattern, int open, List<Element> out) throws SyntaxException {
    int i = open + 1;
    boolean negated = i < pattern.length() && (pattern.charAt(i) == '!' || pattern.charAt(i) == '^');
    if (negated) {
      i++;
    }
    StringBuilder ranges = new StringBuilder();
    boolean first = true;
    while (true) {
      if (i >= pattern.length()) {
        throw new SyntaxException("'[' at character " + (open + 1) + " has no closing ']'", open);
      }
      char c = pattern.charAt(i);
      if (c == ']' && !first) {
        break;
      }
      first = false;
      char end = c;
      if (i + 2 < pattern.length() && pattern.charAt(i + 1) == '-' && pattern.charAt(i + 2) != ']') {
        end = pattern.charAt(i + 2);
        if (end < c) {
          throw new SyntaxException("range '" + c + "-" + end + "' at character " + (i + 1) + " is reversed", i);
        }
        i += 3;
      } else {
        i++;
      }
      ranges.append(c).append(end);
    }
    char[] pairs = new char[ranges.length()];
    ranges.getChars(0, ranges.length(), pairs, 0);
    out.add(new Element(Kind.CLASS, '\0', pairs, negated));
    return i + 1;
  }

  static boolean isSeparator(char c) {
    return c == '/' || c == '\\';
  }

  boolean matches(String path) {
    if (path.length() > MAX_PATH) {
      return false;
    }
    int n = elements.length;
    // at[s]: the elements before s have matched. inside[s] (for a '**/' at s): it has consumed
    // characters and may stop only after a separator, unlike at[s], where it may match nothing.
    boolean[] at = new boolean[n + 1];
    boolean[] inside = new boolean[n + 1];
    boolean[] nextAt = new boolean[n + 1];
    boolean[] nextInside = new boolean[n + 1];
    at[0] = true;
    close(at);
    for (int p = 0; p < path.length(); p++) {
      char c = path.charAt(p);
      java.util.Arrays.fill(nextAt, false);
      java.util.Arrays.fill(nextInside, false);
      boolean any = false;
      for (int s = 0; s < n; s++) {
        if (!at[s] && !inside[s]) {
          continue;
        }
        Element e = elements[s];
        switch (e.kind()) {
          case STAR:
            if (!isSeparator(c)) {
              nextAt[s] = true;
              any = true;
            }
            break;
          case ANY_DEPTH:
            nextAt[s] = true;
            any = true;
            break;
          case ANY_SEGMENTS:
            nextInside[s] = true;
            if (isSeparator(c)) {
              nextAt[s + 1] = true;
            }
            any = true;
            break;
          default:
            if (at[s] && e.accepts(c)) {
              nextAt[s + 1] = true;
              any = true;
            }
        }
      }
      if (!any) {
        return false;
      }
      close(nextAt);
      boolean[] swap = at;
      at = nextAt;
      nextAt = swap;
      swap = inside;
      inside = nextInside;
      nextInside = swap;
    }
    return at[n];
  }

  /** Adds the states reachable without reading a character: past any wildcard that may match nothing. */
  private void close(boolean[] states) {
    for (int s = 0; s < elements.length; s++) {
      if (states[s]) {
        Kind k = elements[s].kind();
        if (k == Kind.STAR || k == Kind.ANY_DEPTH || k == Kind.ANY_SEGMENTS) {
          states[s + 1] = true;
        }
      }
    }
  }

  String pattern() {
    return pattern;
  }
}
