package dev.peerid.linux;

import java.io.IOException;

/**
 * A read refused data at the head of a verified peer's connection: it was written by a process
 * that is not allowed, cannot be identified, or is the verified process after an exec of another
 * program. The connection is closed; the data was never returned.
 */
public final class RefusedWriterException extends IOException {
  private static final long serialVersionUID = 1L;

  RefusedWriterException(String message, Throwable cause) {
    super(message, cause);
  }
}
