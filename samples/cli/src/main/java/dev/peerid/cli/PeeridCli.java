package dev.peerid.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code peerid} command-line tool: {@code verify}, {@code inspect}, {@code sign},
 * {@code display} and {@code completion}. The verbs, options, JSON fields and exit statuses are a
 * contract (docs/cli.md): 0 every input allowed; 1 at least one denied; 2 usage error or
 * unreadable input.
 */
@Command(name = "peerid",
    mixinStandardHelpOptions = true,
    versionProvider = PeeridVersion.class,
    description = "Verifies code signatures of files and identifies running processes "
        + "(IMA on Linux, Apple code signing, Authenticode).",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {VerifyCommand.class, InspectCommand.class, SignCommand.class, DisplayCommand.class,
        CompletionCommand.class, CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:every input allowed (display: every file carries a signature)",
        "1:at least one input denied (display: a file carries no signature)",
        "2:usage error or unreadable input"})
public final class PeeridCli implements Runnable {
  static final int ALLOWED = 0;
  static final int DENIED = 1;
  static final int USAGE = 2;

  @Spec
  CommandSpec spec;

  private final PrintStream out;
  private final PrintStream err;

  PeeridCli(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    int status = new PeeridCli(System.out, System.err).run(args);
    System.out.flush();
    System.exit(status);
  }

  /** No command: the usage on stderr, a usage error. */
  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new UsageError();
  }

  int run(String[] args) {
    return commandLine(this, out, err).execute(args);
  }

  /** The configured picocli command line: exit statuses and error messages as the contract says. */
  static CommandLine commandLine(PeeridCli cli, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(cli);
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cl.setExitCodeExceptionMapper(e -> USAGE);
    cl.setParameterExceptionHandler((e, args) -> {
      CommandLine failed = e.getCommandLine();
      PrintWriter w = failed.getErr();
      if (failed.getParent() == null && e instanceof CommandLine.UnmatchedArgumentException u
          && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
        w.println("peerid: unknown command '" + u.getUnmatched().get(0) + "' (expected one of "
            + String.join(", ", failed.getSubcommands().keySet()) + ")");
      } else {
        w.println("peerid: " + e.getMessage());
      }
      CommandLine.UnmatchedArgumentException.printSuggestions(e, w);
      w.println("Try '" + failed.getCommandSpec().qualifiedName() + " --help' for more information.");
      return USAGE;
    });
    cl.setExecutionExceptionHandler((e, failed, parsed) -> {
      PrintWriter w = failed.getErr();
      if (e instanceof UsageException u) {
        w.println("peerid: " + u.getMessage());
      } else if (!(e instanceof UsageError)) {
        w.println("peerid: internal error: " + e);
      }
      return USAGE;
    });
    return cl;
  }

  /** Thrown after the usage was printed: exit status 2 with nothing more to say. */
  private static final class UsageError extends RuntimeException {
    UsageError() {
      super(null, null, false, false);
    }
  }
}
