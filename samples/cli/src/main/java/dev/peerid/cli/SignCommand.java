package dev.peerid.cli;

import dev.peerid.linux.ima.ImaHashAlgorithm;
import dev.peerid.linux.ima.ImaSigner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code peerid sign}: writes IMA v2 signatures into {@code security.ima} or a {@code FILE.sig} sidecar. */
@Command(name = "sign", mixinStandardHelpOptions = true, versionProvider = PeeridVersion.class,
    description = "Signs files with an IMA v2 signature, into security.ima (needs root) or a FILE.sig sidecar.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:every file signed", "2:usage error, unusable key, or a file that could not be signed"})
final class SignCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--key", paramLabel = "KEY.pem", required = true,
      description = "The private key (PEM, not encrypted).")
  String key;

  @Option(names = "--cert", paramLabel = "CERT.pem",
      description = "The key's certificate: its SubjectKeyIdentifier gives the key id.")
  String cert;

  @Option(names = "--hash", paramLabel = "ALG", defaultValue = "sha256",
      description = "The digest algorithm (default: ${DEFAULT-VALUE}).")
  String hash;

  @Option(names = "--sidecar", description = "Write FILE.sig beside the file instead of security.ima.")
  boolean sidecar;

  @Parameters(paramLabel = "FILE", arity = "1..*", description = "The files to sign.")
  List<String> files;

  @Override
  public Integer call() throws UsageException {
    ImaHashAlgorithm algorithm;
    try {
      algorithm = ImaHashAlgorithm.byName(hash);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage(), e);
    }
    ImaSigner signer;
    try {
      signer = ImaSigner.fromPem(Path.of(key), cert == null ? null : Path.of(cert), algorithm);
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      throw new UsageException("cannot use key " + key + ": " + e.getMessage(), e);
    }
    Output output = new Output(spec, false);
    ImaSigner.Storage storage = sidecar ? ImaSigner.Storage.SIDECAR : ImaSigner.Storage.XATTR;
    int status = PeeridCli.ALLOWED;
    for (String name : files) {
      Path file = Path.of(name);
      if (!Files.isRegularFile(file)) {
        output.error(name + ": not a regular file");
        status = PeeridCli.USAGE;
        continue;
      }
      try {
        Path written = signer.sign(file, storage);
        output.line("signed " + name + " (" + algorithm + ", key id " + signer.keyIdHex() + ") -> "
            + (storage == ImaSigner.Storage.SIDECAR ? written : "security.ima"));
      } catch (IOException | GeneralSecurityException e) {
        String hint = storage == ImaSigner.Storage.XATTR
            ? " (writing security.ima needs root; --sidecar writes FILE.sig instead)" : "";
        output.error(name + ": cannot sign: " + e.getMessage() + hint);
        status = PeeridCli.USAGE;
      }
    }
    return status;
  }
}
