package dev.peerid.windows.authenticode;

/**
 * Where a parser's own exception goes when a signature is refused: a debug log, never the reason a
 * person reads (that one names what is wrong with the file, in words).
 */
final class Diagnostics {
  private static final System.Logger LOG = System.getLogger("dev.peerid.windows.authenticode");

  private Diagnostics() {}

  static void debug(String what, Throwable e) {
    LOG.log(System.Logger.Level.DEBUG, what, e);
  }
}
