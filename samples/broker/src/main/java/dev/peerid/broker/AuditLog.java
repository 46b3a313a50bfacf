package dev.peerid.broker;

import dev.peerid.Verdict;
import dev.peerid.VerdictJson;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The broker's audit file: one JSON line per connection's verdict ({@link VerdictJson}, the
 * fields {@code peerid --json} prints), appended and flushed line by line. Fed by the verifier's
 * verdict listener, which never runs on an event loop.
 */
final class AuditLog implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.peerid.broker");
  private final Path file;
  private final BufferedWriter out;

  private AuditLog(Path file, BufferedWriter out) {
    this.file = file;
    this.out = out;
  }

  static AuditLog open(Path file) throws IOException {
    return new AuditLog(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND, StandardOpenOption.WRITE));
  }

  synchronized void write(Verdict verdict) {
    try {
      out.write(VerdictJson.toJson(verdict));
      out.newLine();
      out.flush();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.ERROR, "cannot write the audit line to " + file + ": " + e.getMessage()
          + "; verdict was " + verdict);
    }
  }

  @Override
  public synchronized void close() {
    try {
      out.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot close " + file + ": " + e.getMessage());
    }
  }
}
