package dev.peerid.linux.ima;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.SignatureStatus;
import dev.peerid.Signer;
import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Signatures made by evmctl verify with peerid, and signatures made by peerid verify with evmctl. */
class EvmctlInteropTest {
  @TempDir
  static Path dir;

  static TestKeys.Key rsaSki;
  static TestKeys.Key rsaNoSki;
  static TestKeys.Key ec256;
  static TestKeys.Key ec384;
  static TestKeys.Key rsaTraditional;
  static TestKeys.Key ec256Pkcs8;
  static int fileCounter;

  @BeforeAll
  static void keys() throws IOException {
    Tools.require("evmctl", "openssl", "setfattr", "getfattr");
    Tools.requireSecurityXattrs(dir);
    rsaSki = TestKeys.rsa(dir, "rsa-ski", TestKeys.Ski.DEFAULT);
    rsaNoSki = TestKeys.rsa(dir, "rsa-noski", TestKeys.Ski.NONE);
    ec256 = TestKeys.ec(dir, "ec-p256", "prime256v1");
    ec384 = TestKeys.ec(dir, "ec-p384", "secp384r1");
    rsaTraditional = TestKeys.rsaTraditional(dir, "rsa-traditional");
    ec256Pkcs8 = TestKeys.ecPkcs8(dir, "ec-p256-pkcs8", "P-256");
  }

  static Stream<Arguments> evmctlCases() {
    List<Arguments> out = new ArrayList<>();
    for (String key : List.of("rsaSki", "rsaNoSki", "ec256", "ec384")) {
      for (String hash : List.of("sha1", "sha256", "sha384", "sha512")) {
        for (boolean sidecar : new boolean[] {false, true}) {
          out.add(Arguments.of(key, hash, sidecar));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} sidecar={2}")
  @MethodSource("evmctlCases")
  void evmctlSignedFileVerifiesValid(String keyName, String hash, boolean sidecar) throws Exception {
    TestKeys.Key key = key(keyName);
    Path file = newFile();
    var cmd = Tools.list("evmctl", "ima_sign", "-k", key.privatePem().toString(), "-a", hash);
    if (sidecar) {
      cmd.add("--sigfile");
    }
    cmd.add(file.toString());
    Tools.ok(dir, cmd.toArray(String[]::new));
    if (sidecar) {
      // evmctl --sigfile writes the xattr too; remove it so that only the sidecar can vouch
      Tools.ok(dir, "setfattr", "-x", "security.ima", file.toString());
      assertTrue(Files.exists(Path.of(file + ".sig")));
    }

    TrustStore trust = TrustStore.builder().trust("vendor", key.certificate()).build();
    CodeSignature sig = verify(file, trust);

    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    assertEquals(sidecar ? "sidecar" : "xattr", sig.attribute("storage").orElseThrow());
    assertEquals(hash, sig.attribute("hashAlgorithm").orElseThrow());
    Signer signer = sig.signer().orElseThrow();
    assertEquals("vendor", signer.trustName().orElseThrow());
    assertEquals(List.of(key.certificate()), signer.chain());
    assertEquals(ImaKeyIds.hex(ImaKeyIds.fromPublicKey(key.certificate().getPublicKey())), signer.keyId().orElseThrow());
    String jdk = ImaHashAlgorithm.byName(hash).jdkName().orElseThrow();
    assertEquals(jdk, sig.digest().orElseThrow().algorithm());
    assertArrayEquals(MessageDigest.getInstance(jdk).digest(Files.readAllBytes(file)), sig.digest().orElseThrow().value());
  }

  @Test
  void evmctlSignatureParsesAsV2WithEvmctlsKeyId() throws Exception {
    Path file = newFile();
    Tools.ok(dir, "evmctl", "ima_sign", "-k", ec384.privatePem().toString(), "-a", "sha384", "--sigfile", file.toString());
    ImaXattr x = ImaXattr.parse(Files.readAllBytes(Path.of(file + ".sig")));
    assertEquals(ImaXattr.Kind.SIGNATURE_V2, x.kind());
    assertEquals(ImaHashAlgorithm.SHA384, x.algorithm().orElseThrow());
    String shown = Tools.ok(dir, "evmctl", "-v", "ima_verify", "-k", ec384.certificateDer().toString(), "--sigfile",
        file.toString());
    // evmctl prints the key id without leading zeros
    assertTrue(shown.contains(Integer.toHexString(x.keyId())), shown);
  }

  static Stream<Arguments> peeridCases() {
    List<Arguments> out = new ArrayList<>();
    String[][] combos = {
        {"rsaSki", "sha256"}, {"rsaNoSki", "sha1"}, {"rsaNoSki", "sha512"}, {"ec256", "sha256"},
        {"ec384", "sha384"}, {"ec384", "sha512"}, {"rsaTraditional", "sha384"}, {"ec256Pkcs8", "sha256"}};
    for (String[] c : combos) {
      for (ImaSigner.Storage storage : ImaSigner.Storage.values()) {
        out.add(Arguments.of(c[0], c[1], storage));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("peeridCases")
  void peeridSignedFileVerifiesWithEvmctlAndPeerid(String keyName, String hash, ImaSigner.Storage storage)
      throws Exception {
    TestKeys.Key key = key(keyName);
    Path file = newFile();
    ImaSigner signer = ImaSigner.fromPem(key.privatePem(), key.certificateDer(), ImaHashAlgorithm.byName(hash));
    Path written = signer.sign(file, storage);

    var cmd = Tools.list("evmctl", "-v", "ima_verify", "-k", key.certificateDer().toString());
    if (storage == ImaSigner.Storage.SIDECAR) {
      assertEquals(Path.of(file + ".sig"), written);
      assertFalse(Tools.run(dir, "getfattr", "-n", "security.ima", file.toString()).output().contains("security.ima="));
      cmd.add("--sigfile");
    }
    cmd.add(file.toString());
    String out = Tools.ok(dir, cmd.toArray(String[]::new));
    assertTrue(out.contains("verification is OK"), out);

    TrustStore trust = TrustStore.builder().trust("vendor", key.certificate()).build();
    CodeSignature sig = verify(file, trust);
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    assertEquals(signer.keyIdHex(), sig.signer().orElseThrow().keyId().orElseThrow());
  }

  @Test
  void evmctlRejectsPeeridSignatureOfAnotherFile() throws Exception {
    Path file = newFile();
    ImaSigner.fromPem(rsaSki.privatePem(), null, ImaHashAlgorithm.SHA256).sign(file, ImaSigner.Storage.XATTR);
    Files.write(file, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
    Tools.Result r = Tools.run(dir, "evmctl", "ima_verify", "-k", rsaSki.certificateDer().toString(), file.toString());
    assertTrue(r.status() != 0, r.output());
  }

  static TestKeys.Key key(String name) {
    return switch (name) {
      case "rsaSki" -> rsaSki;
      case "rsaNoSki" -> rsaNoSki;
      case "ec256" -> ec256;
      case "ec384" -> ec384;
      case "rsaTraditional" -> rsaTraditional;
      case "ec256Pkcs8" -> ec256Pkcs8;
      default -> throw new IllegalArgumentException(name);
    };
  }

  static synchronized Path newFile() throws IOException {
    byte[] content = new byte[10_000 + fileCounter * 37];
    new Random(fileCounter).nextBytes(content);
    Path file = dir.resolve("file" + fileCounter++);
    Files.write(file, content);
    return file;
  }

  static CodeSignature verify(Path file, TrustStore trust) throws IOException {
    return new ImaVerifier().verify(ExecutableFile.of(file), VerificationContext.of(trust)).signature();
  }
}
