package dev.peerid.cli;

import java.io.PrintStream;

/** {@code peerid sign}: writes IMA v2 signatures. */
final class SignCommand {
  private SignCommand() {}

  static int run(CliOptions options, PrintStream out, PrintStream err) throws UsageException {
    throw new UsageException("sign is not available yet");
  }
}
