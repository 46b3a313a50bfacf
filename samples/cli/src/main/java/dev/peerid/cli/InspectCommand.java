package dev.peerid.cli;

import dev.peerid.PeerHandle;
import dev.peerid.PeerVerifier;
import dev.peerid.Platform;
import dev.peerid.Verdict;
import dev.peerid.linux.LinuxPeerBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true, versionProvider = PeeridVersion.class,
    description = "Identifies running processes and verifies the executables they run.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:every process allowed", "1:at least one process denied",
        "2:usage error or no such process"})
final class InspectCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  VerifierOptions options = new VerifierOptions();

  @Option(names = "--strict", description = "Linux: also check each process's mapped libraries and whether its "
      + "code was modified in memory (reads /proc/PID/maps and /proc/PID/pagemap).")
  boolean strict;

  @Parameters(paramLabel = "PID", arity = "1..*", description = "The process ids to inspect.")
  List<String> operands;

  @Override
  public Integer call() throws UsageException {
    List<Long> pids = new ArrayList<>();
    for (String operand : operands) {
      try {
        long pid = Long.parseLong(operand);
        if (pid <= 0) {
          throw new NumberFormatException();
        }
        pids.add(pid);
      } catch (NumberFormatException e) {
        throw new UsageException("'" + operand + "' is not a process id (a positive integer)");
      }
    }
    PeerVerifier.Builder builder = options.verifier();
    if (strict) {
      if (Platform.current() != Platform.LINUX) {
        throw new UsageException("--strict needs Linux: it reads /proc/PID/maps and /proc/PID/pagemap");
      }
      builder.backend(LinuxPeerBackend.checkingMappedLibraries());
    }
    Output output = new Output(spec, options.json);
    int status = PeeridCli.ALLOWED;
    try (PeerVerifier verifier = builder.build()) {
      for (long pid : pids) {
        if (!Files.exists(Path.of("/proc/" + pid)) && Files.isDirectory(Path.of("/proc/self"))) {
          output.error("pid " + pid + ": no such process");
          status = PeeridCli.USAGE;
          continue;
        }
        Verdict verdict = verifier.verify(PeerHandle.pid(pid));
        output.verdict("pid " + pid, pid, verdict);
        if (!verdict.isAllowed() && status == PeeridCli.ALLOWED) {
          status = PeeridCli.DENIED;
        }
      }
    }
    return status;
  }
}
