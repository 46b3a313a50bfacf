package dev.peerid.linux;

/**
 * One line of {@code /proc/<pid>/maps}: {@code start-end perms offset major:minor inode [path]}.
 * Parsed by hand, and perms first, so that a caller can skip the many lines it does not want before
 * paying for the rest: a peer like curl has a few hundred lines, and a regex split of each cost
 * more than reading the file.
 *
 * @param device the {@code major:minor} in glibc's {@code makedev} encoding, as {@code stat} gives it
 * @param path   empty for an anonymous mapping; may end in {@code " (deleted)"}
 */
record MapsLine(long start, long end, String perms, long offset, long device, long inode, String path) {

  boolean executable() {
    return perms.charAt(2) == 'x';
  }

  boolean writable() {
    return perms.charAt(1) == 'w';
  }

  /** Private (copy on write), as opposed to shared. */
  boolean isPrivate() {
    return perms.charAt(3) == 'p';
  }

  /** The perms of the line on {@code maps[from, to)}, or null when there are none in the format. */
  static String perms(String maps, int from, int to) {
    int at = skipBlanks(maps, skipWord(maps, skipBlanks(maps, from, to), to), to);
    int end = skipWord(maps, at, to);
    return end - at == 4 ? maps.substring(at, end) : null;
  }

  static MapsLine parse(String line) {
    return parse(line, 0, line.length());
  }

  /** The line on {@code maps[from, to)}, or null when it is not in the kernel's format. */
  static MapsLine parse(String maps, int from, int to) {
    try {
      int at = skipBlanks(maps, from, to);
      int rangeEnd = skipWord(maps, at, to);
      int dash = maps.indexOf('-', at);
      if (dash < 0 || dash >= rangeEnd) {
        return null;
      }
      long start = Long.parseUnsignedLong(maps, at, dash, 16);
      long end = Long.parseUnsignedLong(maps, dash + 1, rangeEnd, 16);
      at = skipBlanks(maps, rangeEnd, to);
      int permsEnd = skipWord(maps, at, to);
      if (permsEnd - at != 4) {
        return null;
      }
      String perms = maps.substring(at, permsEnd);
      at = skipBlanks(maps, permsEnd, to);
      int offsetEnd = skipWord(maps, at, to);
      long offset = Long.parseUnsignedLong(maps, at, offsetEnd, 16);
      at = skipBlanks(maps, offsetEnd, to);
      int deviceEnd = skipWord(maps, at, to);
      long device = device(maps, at, deviceEnd);
      at = skipBlanks(maps, deviceEnd, to);
      int inodeEnd = skipWord(maps, at, to);
      long inode = Long.parseLong(maps, at, inodeEnd, 10);
      String path = maps.substring(inodeEnd, to).strip();
      if (start < 0 || end <= start || offset < 0) {
        return null;
      }
      return new MapsLine(start, end, perms, offset, device, inode, path);
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      return null;
    }
  }

  /** A {@code major:minor} device in hex, in glibc's {@code makedev} encoding. */
  static long device(CharSequence s, int from, int to) {
    int colon = -1;
    for (int i = from; i < to; i++) {
      if (s.charAt(i) == ':') {
        colon = i;
        break;
      }
    }
    if (colon < 0) {
      throw new NumberFormatException("no device");
    }
    long major = Long.parseLong(s, from, colon, 16);
    long minor = Long.parseLong(s, colon + 1, to, 16);
    return (major & 0xfffff000L) << 32 | (major & 0xfffL) << 8 | (minor & 0xffffff00L) << 12 | minor & 0xffL;
  }

  private static int skipBlanks(String s, int from, int to) {
    while (from < to && Character.isWhitespace(s.charAt(from))) {
      from++;
    }
    return from;
  }

  private static int skipWord(String s, int from, int to) {
    while (from < to && !Character.isWhitespace(s.charAt(from))) {
      from++;
    }
    return from;
  }
}
