package dev.peerid.broker;

import java.io.PrintStream;
import java.util.List;

/** Placeholder until dev.peerid.linux.ima.ImaSigner is merged. */
final class Demo {
  private Demo() {}

  static int run(List<String> args, PrintStream out, PrintStream err) {
    err.println("demo: needs the IMA signer (dev.peerid.linux.ima), not merged yet");
    return 1;
  }
}
