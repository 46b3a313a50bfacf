package dev.peerid.cli;

/** A command line the tool cannot act on, or an input it cannot read: exit status 2. */
final class UsageException extends Exception {
  UsageException(String message) {
    super(message);
  }

  UsageException(String message, Throwable cause) {
    super(message, cause);
  }
}
