package dev.peerid.linux;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** A throwaway RSA signing key and its certificate, made with openssl; files signed with evmctl. */
final class ImaTestKeys {
  final Path key;
  final Path certPem;
  final Path certDer;

  private ImaTestKeys(Path key, Path certPem, Path certDer) {
    this.key = key;
    this.certPem = certPem;
    this.certDer = certDer;
  }

  static ImaTestKeys create(Path dir) throws IOException, InterruptedException {
    Path openssl = Tools.require("openssl");
    Path key = dir.resolve("key.pem");
    Path pem = dir.resolve("cert.pem");
    Path der = dir.resolve("cert.der");
    Tools.run(List.of(openssl.toString(), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
        "-out", pem.toString(), "-days", "2", "-subj", "/CN=peerid live test", "-addext", "subjectKeyIdentifier=hash"));
    Tools.run(List.of(openssl.toString(), "x509", "-in", pem.toString(), "-outform", "DER", "-out", der.toString()));
    return new ImaTestKeys(key, pem, der);
  }

  /** Signs into security.ima (needs root or CAP_SYS_ADMIN, as in CI; skipped for other users). */
  void sign(Path file) throws IOException, InterruptedException {
    Tools.requireRoot("writing security.ima");
    Path evmctl = Tools.require("evmctl");
    Tools.run(List.of(evmctl.toString(), "ima_sign", "-k", key.toString(), "-a", "sha256", file.toString()));
  }

  /** Signs into the FILE.sig sidecar (no privilege needed). */
  void signSidecar(Path file) throws IOException, InterruptedException {
    Path evmctl = Tools.require("evmctl");
    Tools.evmctlSidecar(List.of(evmctl.toString(), "ima_sign", "--sigfile", "-k", key.toString(), "-a", "sha256",
        file.toString()), file);
  }
}
