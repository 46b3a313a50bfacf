package dev.peerid.cli;

import dev.peerid.PeerIdentity;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import dev.peerid.VerdictJson;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code peerid display}, as {@code codesign -d} does: what a file's signature says (format,
 * signers and their certificates, key ids, digest, timestamps), with no trust store and so no
 * verdict.
 */
@Command(name = "display", mixinStandardHelpOptions = true, versionProvider = PeeridVersion.class,
    description = {"Shows what files' signatures say: format, signer chain (subjects, SHA-256 fingerprints, "
        + "validity), key ids, digest algorithm, timestamps.",
        "No key is trusted here, so there is no verdict: use verify for that."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:every file carries a signature", "1:at least one file carries none",
        "2:usage error or unreadable file"})
final class DisplayCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--json", description = "One JSON object per line per file.")
  boolean json;

  @Parameters(paramLabel = "FILE", arity = "1..*", description = "The files to display.")
  List<String> files;

  @Override
  public Integer call() throws Exception {
    Output output = new Output(spec, json);
    int status = PeeridCli.ALLOWED;
    try (PeerVerifier reader = PeerVerifier.builder().trustStore(TrustStore.empty())
        .policy(Policy.parse("signed or not signed")).threads(1).build()) {
      for (String name : files) {
        PeerIdentity identity;
        try {
          identity = reader.identifyFile(Path.of(name));
        } catch (NoSuchFileException e) {
          output.error(name + ": no such file");
          status = PeeridCli.USAGE;
          continue;
        } catch (IOException e) {
          output.error(name + ": cannot read (" + e.getMessage() + ")");
          status = PeeridCli.USAGE;
          continue;
        }
        Map<String, Object> shown = SignatureDisplay.toMap(name, identity.signature());
        if (json) {
          output.line(VerdictJson.write(shown));
        } else {
          output.text(SignatureDisplay.toText(shown));
        }
        if (!(Boolean) shown.get("signed") && status == PeeridCli.ALLOWED) {
          status = PeeridCli.DENIED;
        }
      }
    }
    return status;
  }
}
