package dev.peerid.linux;

import static dev.peerid.linux.AttackKit.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The 4-byte key id in an IMA v2 header is not covered by the signature: anyone can rewrite it. A
 * certificate whose SubjectKeyIdentifier is not the SHA-1 of its key answers to two ids (the
 * kernel's and evmctl's), so a revocation by one id must not be dodged by writing the other.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(60)
class AttackRevocationTest {
  private static final String OTHER_ID = "deadbeef";

  @TempDir
  Path dir;
  private Path cert;
  private Path program;
  private byte[] sidecar;
  private String signedId;

  @BeforeEach
  void setUp() throws Exception {
    Path openssl = Tools.require("openssl");
    Path key = dir.resolve("key.pem");
    cert = dir.resolve("cert.pem");
    Tools.run(command(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
        "-days", "2", "-subj", "/CN=vendor with its own SKI",
        "-addext", "subjectKeyIdentifier=00112233445566778899aabbccddeeff" + OTHER_ID));
    Path signed = Files.copy(Tools.require("true"), dir.resolve("signed"));
    Tools.evmctlSidecar(command(Tools.require("evmctl"), "ima_sign", "--sigfile", "-k", key, "-a", "sha256", signed), signed);
    sidecar = Files.readAllBytes(Path.of(signed + ".sig"));
    // a plain copy: evmctl run as root also writes security.ima, which would win over the sidecar
    program = Files.copy(signed, dir.resolve("client"));
    Files.write(Path.of(program + ".sig"), sidecar);
    signedId = HexFormat.of().formatHex(sidecar, 3, 7);
    assertNotEquals(OTHER_ID, signedId, "evmctl wrote the key's own id, not the SKI's");
  }

  private SignatureStatus status(String revokedId) throws Exception {
    try (PeerVerifier v = PeerVerifier.builder()
        .trustStore(TrustStore.builder().trust("vendor", cert).revokeKeyId(revokedId).build())
        .policy(Policy.parse("signed by \"vendor\"")).build()) {
      Verdict verdict = v.verifyFile(program);
      assertEquals(verdict.identity().orElseThrow().signature().status() == SignatureStatus.VALID, verdict.isAllowed(),
          verdict.toString());
      return verdict.identity().orElseThrow().signature().status();
    }
  }

  private void rewriteKeyId(String hex) throws Exception {
    byte[] patched = sidecar.clone();
    System.arraycopy(HexFormat.of().parseHex(hex), 0, patched, 3, 4);
    Files.write(Path.of(program + ".sig"), patched);
  }

  @Test
  void revokedKeyIdAsWrittenIsRevoked() throws Exception {
    assertEquals(SignatureStatus.REVOKED, status(signedId));
  }

  @Test
  void revokedSkiIdAsWrittenIsRevoked() throws Exception {
    rewriteKeyId(OTHER_ID);
    assertEquals(SignatureStatus.REVOKED, status(OTHER_ID));
  }

  @Test
  void unrevokedKeyStillVerifiesUnderEitherId() throws Exception {
    assertEquals(SignatureStatus.VALID, status("00000000"));
    rewriteKeyId(OTHER_ID);
    assertEquals(SignatureStatus.VALID, status("00000000"));
  }

  @Test
  void revokedKeyIdCannotBeDodgedByWritingTheKeysOtherId() throws Exception {
    rewriteKeyId(OTHER_ID);
    assertEquals(SignatureStatus.REVOKED, status(signedId));
  }

  @Test
  void revokedSkiIdCannotBeDodgedByWritingTheKeysOwnId() throws Exception {
    assertEquals(SignatureStatus.REVOKED, status(OTHER_ID));
  }
}
