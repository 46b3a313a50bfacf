package dev.peerid.netty;

import static dev.peerid.netty.Tools.cmd;
import static dev.peerid.netty.Tools.run;

import dev.peerid.TrustStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Real signed and unsigned client binaries: a throwaway vendor key made with openssl, copies of
 * curl, one signed with {@code evmctl ima_sign} (into security.ima when this user may write it,
 * else the {@code FILE.sig} sidecar).
 */
public final class SignedClients {
  public final Path key;
  public final Path certificate;
  public final Path signedCurl;
  public final Path unsignedCurl;

  private SignedClients(Path key, Path certificate, Path signedCurl, Path unsignedCurl) {
    this.key = key;
    this.certificate = certificate;
    this.signedCurl = signedCurl;
    this.unsignedCurl = unsignedCurl;
  }

  public static SignedClients make(Path dir) throws IOException, InterruptedException {
    Path openssl = Tools.tool("openssl");
    Path evmctl = Tools.tool("evmctl");
    Path curl = Tools.tool("curl");
    Path key = dir.resolve("vendor-key.pem");
    Path pem = dir.resolve("vendor-cert.pem");
    Path der = dir.resolve("vendor.der");
    run(cmd(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", pem,
        "-days", "2", "-subj", "/CN=peerid test vendor"));
    run(cmd(openssl, "x509", "-in", pem, "-outform", "DER", "-out", der));
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path signed = bin.resolve("vendor-client");
    Path unsigned = bin.resolve("copied-client");
    Files.copy(curl, signed, StandardCopyOption.REPLACE_EXISTING);
    Files.copy(curl, unsigned, StandardCopyOption.REPLACE_EXISTING);
    sign(evmctl, key, signed);
    return new SignedClients(key, der, signed, unsigned);
  }

  /**
   * As root, into security.ima; else into the sidecar. evmctl --sigfile writes FILE.sig, then also
   * tries security.ima and exits 125 when only that is refused: the sidecar is then complete.
   */
  public static void sign(Path evmctl, Path key, Path file) throws IOException, InterruptedException {
    if (Tools.root()) {
      try {
        run(cmd(evmctl, "ima_sign", "-k", key, "-a", "sha256", file));
        return;
      } catch (AssertionError noXattrsOnThisFileSystem) {
        // the sidecar below
      }
    }
    Path sig = Path.of(file + ".sig");
    Files.deleteIfExists(sig);
    Tools.Result r = Tools.exec(cmd(evmctl, "ima_sign", "--sigfile", "-k", key, "-a", "sha256", file));
    boolean sidecarOnly = r.status() == 125 && !Tools.root() && r.output().contains("setxattr failed")
        && Files.isRegularFile(sig) && Files.size(sig) > 0;
    if (r.status() != 0 && !sidecarOnly) {
      throw new AssertionError("evmctl ima_sign --sigfile exited " + r.status() + ": " + r.output());
    }
  }

  /**
   * Builds the Go program in the test resource {@code resource} (next to this class) into
   * {@code dir/bin/name} and signs it with this vendor key.
   */
  public Path signedGoProgram(Path dir, String resource, String name) throws IOException, InterruptedException {
    Path go = Tools.tool("go");
    Path src = dir.resolve(name + ".go");
    try (InputStream in = SignedClients.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("no test resource " + resource);
      }
      Files.write(src, in.readAllBytes());
    }
    Path out = Files.createDirectories(dir.resolve("bin")).resolve(name);
    ProcessBuilder b = new ProcessBuilder(cmd(go, "build", "-o", out, src)).redirectErrorStream(true);
    b.environment().put("GOCACHE", dir.resolve("gocache").toString());
    b.environment().put("GOPATH", dir.resolve("gopath").toString());
    b.environment().put("GO111MODULE", "off");
    Process p = b.start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new AssertionError("go build " + resource + " failed: " + log);
    }
    sign(Tools.tool("evmctl"), key, out);
    return out;
  }

  public TrustStore trustStore() throws Exception {
    return TrustStore.builder().trust("vendor", certificate).build();
  }
}
