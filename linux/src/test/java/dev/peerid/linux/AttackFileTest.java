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
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The attacker controls the directory the executable runs from, so also the {@code FILE.sig}
 * sidecar peerid looks for next to it: swapped content, hostile sidecars (FIFO, device, directory,
 * huge file, symbolic link), symbolic and hard links as the executable, deleted and memfd
 * executables. Each must deny with a reason, promptly (the class-wide timeout catches a hang).
 */
@EnabledOnOs(OS.LINUX)
@Timeout(60)
class AttackFileTest {
  private LivePeers live;
  private ImaTestKeys keys;
  private PeerVerifier verifier;
  private Path vendorClient;
  private Path attacker;

  @BeforeEach
  void setUp() throws Exception {
    live = new LivePeers();
    AttackKit.openUp(live);
    keys = ImaTestKeys.create(live.dir);
    verifier = AttackKit.verifier(keys, AttackKit.POLICY);
    Path vendor = Files.createDirectory(live.dir.resolve("vendor"));
    vendorClient = AttackKit.compile(vendor, "client", AttackKit.CLIENT_C);
    keys.signSidecar(vendorClient);
    attacker = AttackKit.attackerDir(live, "attacker");
  }

  @AfterEach
  void tearDown() throws Exception {
    verifier.close();
    live.close();
  }

  private Path evilClient(String name) throws Exception {
    return AttackKit.compile(attacker, name, AttackKit.CLIENT_C.replace("return \"vendor\"", "return \"EVIL\""));
  }

  /** Runs {@code exe} as the attacker, checks the attacker's code (or the vendor's) answered, returns the verdict. */
  private Verdict run(Path exe, String expectedGreeting) throws Exception {
    LivePeers.Peer peer = live.start(asAttacker(command(exe, live.socketPath)));
    assertEquals(expectedGreeting, AttackKit.firstLine(peer));
    return verifier.verify(PeerHandle.socket(peer.fd()));
  }

  private static String reasons(Verdict v) {
    return String.join(" ", v.reasons());
  }

  @Test
  void contentSwappedUnderTheVendorsSidecarIsDeniedAsTampered() throws Exception {
    Path exe = evilClient("client");
    Files.copy(Path.of(vendorClient + ".sig"), Path.of(exe + ".sig"));
    Verdict v = run(exe, "EVIL");
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(SignatureStatus.INVALID, v.identity().orElseThrow().signature().status());
    assertTrue(reasons(v).contains("does not match the file's content"), reasons(v));
  }

  @Test
  void signedBinaryWithBytesAppendedKeepsNoSignature() throws Exception {
    Path exe = attacker.resolve("client");
    Files.copy(vendorClient, exe);
    Files.copy(Path.of(vendorClient + ".sig"), Path.of(exe + ".sig"));
    Files.write(exe, "trailing payload".getBytes(), StandardOpenOption.APPEND);
    AttackKit.makeReadable(exe);
    Verdict v = run(exe, "vendor");
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(SignatureStatus.INVALID, v.identity().orElseThrow().signature().status());
  }

  @Test
  void sidecarThatIsAFifoDoesNotHangTheServer() throws Exception {
    Path exe = evilClient("client");
    Tools.run(command(Tools.require("mkfifo"), exe + ".sig"));
    Verdict v = run(exe, "EVIL");
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(SignatureStatus.INVALID, v.identity().orElseThrow().signature().status());
    assertTrue(reasons(v).contains("sidecar"), reasons(v));
  }

  @Test
  void sidecarLinkedToDevZeroIsNotEvenOpened() throws Exception {
    Path exe = evilClient("client");
    Files.createSymbolicLink(Path.of(exe + ".sig"), Path.of("/dev/zero"));
    Verdict v = run(exe, "EVIL");
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(SignatureStatus.INVALID, v.identity().orElseThrow().signature().status());
    assertTrue(reasons(v).contains("not a regular file"), reasons(v));
  }

  @Test
  void sidecarLinkedToAnotherFilesGenuineSignatureIsDenied() throws Exception {
    Path exe = evilClient("client");
    Files.createSymbolicLink(Path.of(exe + ".sig"), Path.of(vendorClient + ".sig"));
    Verdict v = run(exe, "EVIL");
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(SignatureStatus.INVALID, v.identity().orElseThrow().signature().status());
  }

  @Test
  void hugeSparseSidecarIsRejectedWithoutReadingIt() throws Exception {
    Path exe = evilClient("client");
    try (RandomAccessFile f = new RandomAccessFile(exe + ".sig", "rw")) {
      f.setLength(1L << 40); // 1 TiB of holes: an unbounded read would never finish
    }
    Verdict v = run(exe, "EVIL");
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(SignatureStatus.INVALID, v.identity().orElseThrow().signature().status());
    assertTrue(reasons(v).contains("malformed IMA sidecar"), reasons(v));
  }

  @Test
  void sidecarThatIsADirectoryIsDeniedWithAReason() throws Exception {
    Path exe = evilClient("client");
    Files.createDirectory(Path.of(exe + ".sig"));
    Verdict v = run(exe, "EVIL");
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(SignatureStatus.INVALID, v.identity().orElseThrow().signature().status());
    assertTrue(reasons(v).contains("sidecar cannot be read"), reasons(v));
  }

  @Test
  void symlinkToAnUnsignedProgramNextToAForgedSidecarIsDenied() throws Exception {
    // the kernel runs the link's target: /proc/PID/exe names it, and the sidecar is looked up next to it
    Path evil = evilClient("payload");
    Path link = attacker.resolve("client");
    Files.createSymbolicLink(link, evil);
    Files.copy(Path.of(vendorClient + ".sig"), Path.of(link + ".sig"));
    Verdict v = run(link, "EVIL");
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(evil.toString(), v.identity().orElseThrow().executable().path());
    assertEquals(SignatureStatus.UNSIGNED, v.identity().orElseThrow().signature().status());
  }

  @Test
  void symlinkToTheSignedClientRunsTheSignedBytesAndIsAllowed() throws Exception {
    Path link = attacker.resolve("client");
    Files.createSymbolicLink(link, vendorClient);
    Verdict v = run(link, "vendor");
    assertTrue(v.isAllowed(), v.toString());
    assertEquals(vendorClient.toString(), v.identity().orElseThrow().executable().path());
  }

  @Test
  void hardLinkToTheSignedClientIsAllowedOnlyBecauseItIsTheSameSignedInode() throws Exception {
    Path link = attacker.resolve("client");
    Files.createLink(link, vendorClient);
    Files.copy(Path.of(vendorClient + ".sig"), Path.of(link + ".sig"));
    Verdict v = run(link, "vendor");
    assertTrue(v.isAllowed(), v.toString());
    // replacing the link gives a new inode: the genuine sidecar next to it no longer verifies
    Files.copy(evilClient("payload"), link, StandardCopyOption.REPLACE_EXISTING);
    Verdict swapped = run(link, "EVIL");
    assertFalse(swapped.isAllowed(), swapped.toString());
  }

  @Test
  void deletedSignedExecutableIsDeniedAsUnsignedWithoutItsSidecar() throws Exception {
    Path exe = attacker.resolve("client");
    Files.copy(vendorClient, exe);
    Files.copy(Path.of(vendorClient + ".sig"), Path.of(exe + ".sig"));
    AttackKit.makeReadable(exe);
    LivePeers.Peer peer = live.start(asAttacker(command(exe, live.socketPath)));
    assertEquals("vendor", AttackKit.firstLine(peer));
    Files.delete(exe);
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertEquals(exe + " (deleted)", v.identity().orElseThrow().executable().path());
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(SignatureStatus.UNSIGNED, v.identity().orElseThrow().signature().status());
  }

  @Test
  void unsignedProgramDeletedAndReplacedBySignedFileAndSidecarIsDenied() throws Exception {
    Path exe = evilClient("client");
    LivePeers.Peer peer = live.start(asAttacker(command(exe, live.socketPath)));
    assertEquals("EVIL", AttackKit.firstLine(peer));
    Files.delete(exe);
    Files.copy(vendorClient, exe);
    Files.copy(Path.of(vendorClient + ".sig"), Path.of(exe + ".sig"));
    // and the genuine sidecar under the " (deleted)" name the kernel now reports
    Files.copy(Path.of(vendorClient + ".sig"), Path.of(exe + " (deleted).sig"));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    // a deleted file's path names no file of its own: no sidecar is looked up next to it at all
    assertEquals(SignatureStatus.UNSIGNED, v.identity().orElseThrow().signature().status());
    assertTrue(String.join(" ", v.identity().orElseThrow().signature().reasons()).contains("no .sig sidecar was looked for"),
        v.identity().orElseThrow().signature().reasons().toString());
  }

  @Test
  void signedBytesExecutedFromAMemfdAreDenied() throws Exception {
    // a python launcher copies the signed client into a memfd and execs it (the exe is then "/memfd:... (deleted)")
    Path python = Tools.python();
    String code = "import os,sys\n"
        + "fd=os.memfd_create('client',0)\n"
        + "os.write(fd,open(sys.argv[1],'rb').read())\n"
        + "os.execv('/proc/self/fd/%d'%fd,['client',sys.argv[2]])\n";
    LivePeers.Peer peer = live.start(asAttacker(command(python, "-c", code, vendorClient, live.socketPath)));
    assertEquals("vendor", AttackKit.firstLine(peer));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertTrue(v.identity().orElseThrow().executable().path().startsWith("/memfd:"), v.toString());
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(SignatureStatus.UNSIGNED, v.identity().orElseThrow().signature().status());
    assertFalse(reasons(v).isEmpty());
  }
}
