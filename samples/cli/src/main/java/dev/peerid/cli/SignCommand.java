package dev.peerid.cli;

import dev.peerid.linux.ima.ImaHashAlgorithm;
import dev.peerid.linux.ima.ImaSigner;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/** {@code peerid sign}: writes IMA v2 signatures into {@code security.ima} or a {@code FILE.sig} sidecar. */
final class SignCommand {
  private SignCommand() {}

  static int run(CliOptions options, PrintStream out, PrintStream err) throws UsageException {
    if (options.key() == null) {
      throw new UsageException("missing --key KEY.pem: sign needs the private key");
    }
    if (options.operands().isEmpty()) {
      throw new UsageException("missing FILE: sign needs at least one file");
    }
    ImaHashAlgorithm algorithm;
    try {
      algorithm = ImaHashAlgorithm.byName(options.hash() == null ? "sha256" : options.hash());
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage(), e);
    }
    ImaSigner signer;
    try {
      signer = ImaSigner.fromPem(Path.of(options.key()), options.cert() == null ? null : Path.of(options.cert()),
          algorithm);
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      throw new UsageException("cannot use key " + options.key() + ": " + e.getMessage(), e);
    }
    ImaSigner.Storage storage = options.sidecar() ? ImaSigner.Storage.SIDECAR : ImaSigner.Storage.XATTR;
    int status = PeeridCli.ALLOWED;
    for (String name : options.operands()) {
      Path file = Path.of(name);
      if (!Files.isRegularFile(file)) {
        err.println("peerid: " + name + ": not a regular file");
        status = PeeridCli.USAGE;
        continue;
      }
      try {
        Path written = signer.sign(file, storage);
        out.println("signed " + name + " (" + algorithm + ", key id " + signer.keyIdHex() + ") -> "
            + (storage == ImaSigner.Storage.SIDECAR ? written : "security.ima"));
      } catch (IOException | GeneralSecurityException e) {
        String hint = storage == ImaSigner.Storage.XATTR
            ? " (writing security.ima needs root; --sidecar writes FILE.sig instead)" : "";
        err.println("peerid: " + name + ": cannot sign: " + e.getMessage() + hint);
        status = PeeridCli.USAGE;
      }
    }
    return status;
  }
}
