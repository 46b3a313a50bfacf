package dev.peerid.cli;

import dev.peerid.Verdict;
import dev.peerid.VerdictJson;
import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;

/** Where a command writes: verdicts (text or one JSON line each) to stdout, problems to stderr. */
final class Output {
  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean json;

  Output(CommandSpec spec, boolean json) {
    this.out = spec.commandLine().getOut();
    this.err = spec.commandLine().getErr();
    this.json = json;
  }

  void verdict(String input, Long pid, Verdict verdict) {
    if (json) {
      out.println(VerdictJson.write(Report.toMap(input, pid, verdict)));
    } else {
      out.print(Report.toText(input, pid, verdict));
    }
    out.flush();
  }

  void line(String text) {
    out.println(text);
    out.flush();
  }

  void text(String text) {
    out.print(text);
    out.flush();
  }

  void error(String message) {
    err.println("peerid: " + message);
    err.flush();
  }
}
