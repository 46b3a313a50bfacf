package dev.peerid.linux;

import static dev.peerid.linux.AttackKit.asAttacker;
import static dev.peerid.linux.AttackKit.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerHandle;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Making the server work: executables that are mostly a sparse hole (free for the attacker to
 * create, costly for the server to hash), many at once.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(60)
class AttackResourceTest {
  private LivePeers live;
  private ImaTestKeys keys;
  private Path attacker;
  private Path vendorSig;

  @BeforeEach
  void setUp() throws Exception {
    live = new LivePeers();
    AttackKit.openUp(live);
    keys = ImaTestKeys.create(live.dir);
    attacker = AttackKit.attackerDir(live, "attacker");
    Path vendor = Files.createDirectory(live.dir.resolve("vendor"));
    Path client = AttackKit.compile(vendor, "client", AttackKit.CLIENT_C);
    keys.signSidecar(client);
    vendorSig = Path.of(client + ".sig");
  }

  @AfterEach
  void tearDown() throws Exception {
    live.close();
  }

  private PeerVerifier.Builder server() throws Exception {
    return PeerVerifier.builder()
        .trustStore(TrustStore.builder().trust("vendor", keys.certPem).build())
        .policy(Policy.parse(AttackKit.POLICY));
  }

  /** The attacker's program padded with a hole to {@code size} bytes (ELF ignores what follows its segments). */
  private Path padded(Path program, String name, long size) throws Exception {
    Path out = attacker.resolve(name);
    Files.copy(program, out);
    try (RandomAccessFile f = new RandomAccessFile(out.toFile(), "rw")) {
      f.setLength(size);
    }
    AttackKit.makeReadable(out);
    return out;
  }

  private Path evil() throws Exception {
    return AttackKit.compile(live.dir, "evil", AttackKit.CLIENT_C.replace("return \"vendor\"", "return \"EVIL\""));
  }

  @Test
  void sparseExecutableOverTheSizeLimitIsDeniedWithAReason() throws Exception {
    Path exe = padded(evil(), "client", 256L << 20);
    Files.copy(vendorSig, Path.of(exe + ".sig"));
    try (PeerVerifier verifier = server().maxFileSize(64L << 20).build()) {
      LivePeers.Peer peer = live.start(asAttacker(command(exe, live.socketPath)));
      assertEquals("EVIL", AttackKit.firstLine(peer));
      Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
      assertFalse(v.isAllowed(), v.toString());
      assertEquals(SignatureStatus.INVALID, v.identity().orElseThrow().signature().status());
      assertTrue(String.join(" ", v.reasons()).contains("over the 64 MiB limit"), v.reasons().toString());
    }
  }

  @Test
  void signatureByAnUnknownKeyIsRejectedWithoutHashingTheFile() throws Exception {
    Path stranger = Files.createDirectory(live.dir.resolve("stranger"));
    ImaTestKeys foreign = ImaTestKeys.create(stranger);
    Path exe = padded(evil(), "client", 1L << 30);
    Path signedCopy = stranger.resolve("client");
    Files.copy(exe, signedCopy);
    foreign.signSidecar(signedCopy);
    Files.copy(Path.of(signedCopy + ".sig"), Path.of(exe + ".sig"));
    Files.delete(signedCopy);
    try (PeerVerifier verifier = server().build()) {
      LivePeers.Peer peer = live.start(asAttacker(command(exe, live.socketPath)));
      Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
      assertFalse(v.isAllowed(), v.toString());
      assertEquals(SignatureStatus.UNTRUSTED, v.identity().orElseThrow().signature().status());
      assertTrue(v.identity().orElseThrow().signature().digest().isEmpty(),
          "the 1 GiB file was hashed although no trusted key could verify its signature");
    }
  }

  @Test
  void floodOfHugeExecutablesIsAnsweredBusyNotQueuedWithoutLimit() throws Exception {
    Path program = evil();
    try (PeerVerifier verifier = server().threads(1).queueLimit(1).build()) {
      List<LivePeers.Peer> peers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Path exe = padded(program, "client" + i, 512L << 20);
        Files.copy(vendorSig, Path.of(exe + ".sig"));
        LivePeers.Peer peer = live.start(asAttacker(command(exe, live.socketPath)));
        AttackKit.firstLine(peer);
        peers.add(peer);
      }
      // all at once: the first is hashing half a GiB while the others arrive
      List<CompletableFuture<Verdict>> verdicts = new ArrayList<>();
      for (LivePeers.Peer peer : peers) {
        verdicts.add(verifier.verifyAsync(PeerHandle.socket(peer.fd())));
      }
      int busy = 0;
      for (CompletableFuture<Verdict> f : verdicts) {
        Verdict v = f.get(50, TimeUnit.SECONDS);
        assertFalse(v.isAllowed(), v.toString());
        if (String.join(" ", v.reasons()).contains("busy")) {
          busy++;
        }
      }
      assertTrue(busy >= 1, "with one thread and a queue of one, four concurrent huge files must see 'busy'");
    }
  }
}
