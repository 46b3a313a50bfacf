package dev.peerid.linux;

import static dev.peerid.linux.AttackKit.asAttacker;
import static dev.peerid.linux.AttackKit.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerHandle;
import dev.peerid.PeerVerifier;
import dev.peerid.SignatureStatus;
import dev.peerid.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The attacker runs the vendor's genuinely signed client, but makes the dynamic loader put code of
 * theirs into it. The signature of the executable stays VALID; only the loader's inputs tell.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(60)
class AttackInjectionTest {
  private LivePeers live;
  private ImaTestKeys keys;
  private PeerVerifier verifier;
  private Path vendor;
  private Path attacker;

  @BeforeEach
  void setUp() throws Exception {
    live = new LivePeers();
    AttackKit.openUp(live);
    keys = ImaTestKeys.create(live.dir);
    verifier = AttackKit.verifier(keys, AttackKit.POLICY);
    vendor = Files.createDirectory(live.dir.resolve("vendor"));
    attacker = AttackKit.attackerDir(live, "attacker");
  }

  @AfterEach
  void tearDown() throws Exception {
    verifier.close();
    live.close();
  }

  /** The vendor's client, signed with a sidecar (the greeting compiled in). */
  private Path signedClient() throws Exception {
    Path client = AttackKit.compile(vendor, "client", AttackKit.CLIENT_C);
    keys.signSidecar(client);
    return client;
  }

  /** The vendor's client that takes its greeting from libvendor.so next to it (RUNPATH $ORIGIN). */
  private Path signedClientWithLibrary() throws Exception {
    AttackKit.library(vendor, "libvendor.so", AttackKit.LIBVENDOR_C);
    Path client = AttackKit.compile(vendor, "libclient", AttackKit.CLIENT_C, "-DWITH_LIB", "-L" + vendor,
        "-lvendor", "-Wl,--enable-new-dtags,-rpath,$ORIGIN");
    keys.signSidecar(client);
    return client;
  }

  @Test
  void baselineSignedClientIsAllowed() throws Exception {
    LivePeers.Peer peer = live.start(asAttacker(command(signedClient(), live.socketPath)));
    assertEquals("vendor", AttackKit.firstLine(peer));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertTrue(v.isAllowed(), v.toString());
  }

  @Test
  void ldPreloadIntoTheSignedClientIsDenied() throws Exception {
    Path evil = AttackKit.library(attacker, "evil.so", AttackKit.AUDIT_C);
    LivePeers.Peer peer = live.start(asAttacker(command(signedClient(), live.socketPath)),
        Map.of("LD_PRELOAD", evil.toString()));
    AttackKit.firstLine(peer);
    assertTrue(AttackKit.maps(peer.pid(), evil), "the preloaded library is in the process");
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(SignatureStatus.VALID, v.identity().orElseThrow().signature().status());
    assertTrue(String.join(" ", v.reasons()).contains("injected") && String.join(" ", v.reasons()).contains(evil.toString()),
        v.reasons().toString());
  }

  @Test
  void ldAuditIntoTheSignedClientIsDenied() throws Exception {
    Path audit = AttackKit.library(attacker, "audit.so", AttackKit.AUDIT_C);
    LivePeers.Peer peer = live.start(asAttacker(command(signedClient(), live.socketPath)),
        Map.of("LD_AUDIT", audit.toString()));
    AttackKit.firstLine(peer);
    assertTrue(AttackKit.maps(peer.pid(), audit), "the audit module is in the process");
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertTrue(String.join(" ", v.reasons()).contains("LD_AUDIT=" + audit), v.reasons().toString());
  }

  @Test
  void ldPreloadBetweenSeparatorsIsStillSeen() throws Exception {
    // glibc splits LD_PRELOAD on blanks and colons: hiding the library behind leading separators must not help
    Path evil = AttackKit.library(attacker, "evil.so", AttackKit.AUDIT_C);
    LivePeers.Peer peer = live.start(asAttacker(command(signedClient(), live.socketPath)),
        Map.of("LD_PRELOAD", " :: " + evil + ": "));
    AttackKit.firstLine(peer);
    assertTrue(AttackKit.maps(peer.pid(), evil));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertTrue(String.join(" ", v.reasons()).contains(evil.toString()), v.reasons().toString());
  }

  @Test
  void ldPreloadThatScrubsItsOwnEnvironmentIsDenied() throws Exception {
    Path evil = AttackKit.library(attacker, "scrub.so", AttackKit.SCRUBBING_PRELOAD_C);
    // set by env, so that only the client (not setpriv before it) loads the library
    LivePeers.Peer peer = live.start(asAttacker(command(Tools.require("env"), "LD_PRELOAD=" + evil, signedClient(),
        live.socketPath)));
    AttackKit.firstLine(peer);
    assertTrue(AttackKit.maps(peer.pid(), evil), "the preloaded library is in the process");
    assertFalse(Files.readString(Path.of("/proc", Long.toString(peer.pid()), "environ")).contains("LD_PRELOAD="),
        "the library hid itself from /proc/PID/environ");
    Verdict v;
    try (PeerVerifier strict = AttackKit.strictVerifier(keys, AttackKit.POLICY)) {
      // environ shows nothing: only the mapped-library check (an opt-in backend) sees it
      assertTrue(verifier.verify(PeerHandle.socket(peer.fd())).isAllowed(), "the default backend misses it");
      v = strict.verify(PeerHandle.socket(peer.fd()));
    }
    assertTrue(String.join(" ", v.reasons()).contains("mapped:"), v.reasons().toString());
    assertFalse(v.isAllowed(), "a hidden LD_PRELOAD library runs inside the signed peer: " + v);
  }

  @Test
  void ldLibraryPathReplacingALibraryOfTheSignedClientIsDenied() throws Exception {
    Path client = signedClientWithLibrary();
    AttackKit.library(attacker, "libvendor.so", AttackKit.EVIL_LIBVENDOR_C);
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath)),
        Map.of("LD_LIBRARY_PATH", attacker.toString()));
    assertEquals("EVIL", AttackKit.firstLine(peer), "the attacker's library runs in the signed client");
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), "the attacker's code runs inside the signed peer: " + v);
  }

  @Test
  void signedClientCopiedNextToTheAttackersOriginLibraryIsDenied() throws Exception {
    Path original = signedClientWithLibrary();
    Path copy = attacker.resolve("libclient");
    Files.copy(original, copy);
    Files.copy(Path.of(original + ".sig"), Path.of(copy + ".sig"));
    AttackKit.makeReadable(copy);
    AttackKit.library(attacker, "libvendor.so", AttackKit.EVIL_LIBVENDOR_C);
    LivePeers.Peer peer = live.start(asAttacker(command(copy, live.socketPath)));
    assertEquals("EVIL", AttackKit.firstLine(peer), "the attacker's library runs in the signed client");
    Verdict v;
    try (PeerVerifier strict = AttackKit.strictVerifier(keys, AttackKit.POLICY)) {
      // environ shows nothing: only the mapped-library check (an opt-in backend) sees it
      assertTrue(verifier.verify(PeerHandle.socket(peer.fd())).isAllowed(), "the default backend misses it");
      v = strict.verify(PeerHandle.socket(peer.fd()));
    }
    assertTrue(String.join(" ", v.reasons()).contains("mapped:"), v.reasons().toString());
    assertEquals(SignatureStatus.VALID, v.identity().orElseThrow().signature().status());
    assertFalse(v.isAllowed(), "the attacker's code runs inside the signed peer: " + v);
  }

  @Test
  void signedClientInTheVendorsDirectoryLoadsTheVendorsLibraryAndIsAllowed() throws Exception {
    LivePeers.Peer peer = live.start(asAttacker(command(signedClientWithLibrary(), live.socketPath)));
    assertEquals("vendor", AttackKit.firstLine(peer));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertTrue(v.isAllowed(), v.toString());
  }

  @Test
  void ldPreloadAmongAHugeEnvironmentIsStillSeen() throws Exception {
    Path evil = AttackKit.library(attacker, "evil.so", AttackKit.AUDIT_C);
    Map<String, String> env = new java.util.HashMap<>();
    for (int i = 0; i < 15; i++) {
      env.put("PAD" + i, "x".repeat(100_000)); // 1.5 MB: near the kernel's limit of a quarter of the 8 MiB stack
    }
    env.put("LD_PRELOAD", evil.toString());
    LivePeers.Peer peer = live.start(asAttacker(command(signedClient(), live.socketPath)), env);
    AttackKit.firstLine(peer);
    assertTrue(AttackKit.maps(peer.pid(), evil));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertTrue(String.join(" ", v.reasons()).contains("LD_PRELOAD=" + evil), v.reasons().toString());
  }

  @Test
  void theMappedLibraryCheckLetsASignedClientWithOnlySystemLibrariesThrough() throws Exception {
    LivePeers.Peer peer = live.start(asAttacker(command(signedClient(), live.socketPath)));
    AttackKit.firstLine(peer);
    try (PeerVerifier strict = AttackKit.strictVerifier(keys, AttackKit.POLICY)) {
      Verdict v = strict.verify(PeerHandle.socket(peer.fd()));
      assertTrue(v.isAllowed(), v.toString());
      assertTrue(v.identity().orElseThrow().risks().injectedLibraries().isEmpty(), v.toString());
    }
  }
}
