package dev.peerid.cli;

import dev.peerid.PeerVerifier;
import dev.peerid.Verdict;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = PeeridVersion.class,
    description = "Verifies files' signatures against the trusted keys and the policy.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:every file allowed", "1:at least one file denied", "2:usage error or unreadable file"})
final class VerifyCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  VerifierOptions options = new VerifierOptions();

  @Option(names = "--arch", paramLabel = "ARCH",
      description = "Judge one slice of a universal Mach-O file (arm64, x86_64) as if it were the whole file.")
  String arch;

  @Parameters(paramLabel = "FILE", arity = "1..*", description = "The files to verify.")
  List<String> files;

  @Override
  public Integer call() throws UsageException {
    Output output = new Output(spec, options.json);
    int status = PeeridCli.ALLOWED;
    try (PeerVerifier verifier = options.verifier().build()) {
      for (String name : files) {
        Verdict verdict;
        try {
          verdict = arch == null ? verifier.verifyFile(Path.of(name)) : verifier.verifyFile(Path.of(name), arch);
        } catch (NoSuchFileException e) {
          output.error(name + ": no such file");
          status = PeeridCli.USAGE;
          continue;
        } catch (IOException e) {
          output.error(name + ": cannot read (" + e.getMessage() + ")");
          status = PeeridCli.USAGE;
          continue;
        }
        output.verdict(name, null, verdict);
        if (!verdict.isAllowed() && status == PeeridCli.ALLOWED) {
          status = PeeridCli.DENIED;
        }
      }
    }
    return status;
  }
}
