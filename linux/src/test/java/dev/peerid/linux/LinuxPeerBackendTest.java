package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.FileIdentity;
import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.ProcessInfo;
import dev.peerid.SignatureFormat;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.PeerBackend;
import dev.peerid.spi.PeerProcess;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.FileDescriptorCast;

/** The backend against real child processes connected over real Unix sockets. */
@EnabledOnOs(OS.LINUX)
class LinuxPeerBackendTest {
  private static Path curl;
  private LivePeers live;
  private ImaTestKeys keys;
  private final LinuxPeerBackend backend = new LinuxPeerBackend();

  @BeforeAll
  static void tools() {
    curl = Tools.require("curl");
  }

  @BeforeEach
  void setUp() throws Exception {
    live = new LivePeers();
    keys = ImaTestKeys.create(live.dir);
  }

  @AfterEach
  void tearDown() throws IOException {
    backend.close(); // the /proc/<pid> descriptors it keeps for recent peers
    live.close();
  }

  private static Optional<ExecutableVerifier> imaVerifier() {
    for (ExecutableVerifier v : ServiceLoader.load(ExecutableVerifier.class)) {
      if (v.format() == SignatureFormat.IMA) {
        return Optional.of(v);
      }
    }
    return Optional.empty();
  }

  private VerificationContext context() throws Exception {
    return VerificationContext.of(TrustStore.builder().trust("live-test", keys.certPem).build());
  }

  @Test
  void isFoundByServiceLoaderAndSupportedOnLinux() {
    List<PeerBackend> found = new ArrayList<>();
    ServiceLoader.load(PeerBackend.class).forEach(found::add);
    assertTrue(found.stream().anyMatch(b -> b instanceof LinuxPeerBackend), "registered: " + found);
    assertTrue(backend.isSupported(), () -> "unsupported: " + backend.unavailabilityCause());
    assertTrue(backend.unavailabilityCause().isEmpty());
    backend.ensureSupported();
    assertTrue(imaVerifier().isPresent(), "the IMA verifier of this module is found the way the backend finds it");
  }

  @Test
  void signedNativeCopyIsIdentifiedAndVerifiedThroughTheRunningInode() throws Exception {
    Path client = live.copy(curl, "vendor-client");
    keys.sign(client);
    FileIdentity onDisk = FileIdentity.of(client);
    LivePeers.Peer peer = live.start(live.curl(client));
    try (PeerProcess p = backend.attach(PeerHandle.socket(peer.fd()))) {
      assertEquals(peer.pid(), p.process().pid());
      assertEquals(0, p.process().uid(), "these tests run as root (SO_PEERCRED uid)");
      assertEquals(Optional.of("root"), p.process().userName());
      assertEquals(Optional.of("root"), p.process().groupName());
      assertEquals(ProcFs.system().status(peer.pid()).groups(), p.process().groups(),
          "SO_PEERGROUPS agrees with /proc/<pid>/status");
      assertEquals("pidfd", p.process().raceToken());
      assertFalse(p.process().racy());
      assertEquals(client.toString(), p.executable().path());
      assertEquals(onDisk, p.executable().identity());
      assertFalse(p.risks().traced());
      assertEquals(0, p.risks().tracerPid());
      assertEquals(List.of(), p.risks().injectedLibraries());

      VerifiedExecutable v = p.verifyExecutable(context());
      assertEquals(Optional.empty(), v.interpreter());
      assertEquals(SignatureStatus.VALID, v.signature().status(), v.signature().toString());
      assertEquals(SignatureFormat.IMA, v.signature().format());
      assertEquals("live-test", v.signature().signer().orElseThrow().trustName().orElseThrow());
      p.confirmUnchanged();
    }
  }

  @Test
  void unsignedCopyIsUnsigned() throws Exception {
    Path client = live.copy(curl, "unsigned-client");
    LivePeers.Peer peer = live.start(live.curl(client));
    try (PeerProcess p = backend.attach(PeerHandle.socket(peer.fd()))) {
      VerifiedExecutable v = p.verifyExecutable(context());
      assertEquals(SignatureStatus.UNSIGNED, v.signature().status(), v.signature().toString());
      assertFalse(v.signature().reasons().isEmpty());
    }
  }

  private List<String> pythonWithThreads(int threads) {
    String code = "import socket,sys,threading\n"
        + "e=threading.Event()\n"
        + "ts=[threading.Thread(target=e.wait,daemon=True) for _ in range(" + threads + ")]\n"
        + "[t.start() for t in ts]\n"
        + "s=socket.socket(socket.AF_UNIX)\n"
        + "s.connect(" + LivePeers.quote(live.socketPath.toString()) + ")\n"
        + "sys.stdin.readline()\n";
    return List.of(Tools.python().toString(), "-c", code);
  }

  @Test
  void aPeerWithMoreThreadsThanAreCheckedForATracerCountsAsTraced() throws Exception {
    LivePeers.Peer few = live.start(pythonWithThreads(8));
    try (PeerProcess p = backend.attach(PeerHandle.socket(few.fd()))) {
      assertFalse(p.risks().traced(), "9 threads, none traced: " + p.risks());
      assertEquals(0, p.risks().tracerPid());
    }
    LivePeers.Peer many = live.start(pythonWithThreads(LinuxPeerProcess.MAX_THREADS_CHECKED + 10));
    try (PeerProcess p = backend.attach(PeerHandle.socket(many.fd()))) {
      assertTrue(p.risks().traced(), "not every thread was looked at, so it may be traced: " + p.risks());
      assertEquals(ProcessInfo.UNKNOWN, p.risks().tracerPid());
    }
  }

  @Test
  void signedPythonRunningInlineCodeIsAnInterpreter() throws Exception {
    Path python = live.copy(Tools.python(), "python3");
    keys.sign(python);
    LivePeers.Peer peer = live.start(live.python(python, "pass"));
    try (PeerProcess p = backend.attach(PeerHandle.socket(peer.fd()))) {
      VerifiedExecutable v = p.verifyExecutable(context());
      assertEquals(Optional.of("python"), v.interpreter());
      assertEquals(SignatureStatus.VALID, v.signature().status(), "signed, yet an interpreter: " + v.signature());
    }
  }

  @Test
  void renamedSignedPythonCopyIsStillAnInterpreterByItsContent() throws Exception {
    Path renamed = live.copy(Tools.python(), "vendor-helper");
    keys.signSidecar(renamed);
    LivePeers.Peer peer = live.start(live.python(renamed, "pass"));
    try (PeerProcess p = backend.attach(PeerHandle.socket(peer.fd()))) {
      assertTrue(p.executable().path().endsWith("/vendor-helper"), p.executable().path());
      VerifiedExecutable v = p.verifyExecutable(context());
      assertEquals(Optional.of("python"), v.interpreter(), "a renamed python is still python");
      assertEquals(SignatureStatus.VALID, v.signature().status(), "the sidecar signs it: " + v.signature());
    }
  }

  @Test
  void renamedCopyOfANonInterpreterIsNoInterpreter() throws Exception {
    // same check as above with a program that is not an interpreter: the content match must not over-reach
    Path renamed = live.copy(curl, "python-lookalike-client");
    LivePeers.Peer peer = live.start(live.curl(renamed));
    try (PeerProcess p = backend.attach(PeerHandle.socket(peer.fd()))) {
      assertEquals(Optional.empty(), p.verifyExecutable(context()).interpreter());
    }
  }

  @Test
  void tracedSignedBinaryIsReportedAsTraced() throws Exception {
    Path strace = Tools.require("strace");
    Path client = live.copy(curl, "traced-client");
    keys.sign(client);
    List<String> command = new ArrayList<>(List.of(strace.toString(), "-f", "-o", "/dev/null"));
    command.addAll(live.curl(client));
    LivePeers.Peer peer = live.start(command);
    // the process on the other end is curl, whose tracer is the strace we started
    try (PeerProcess p = backend.attach(PeerHandle.socket(peer.fd()))) {
      assertEquals(client.toString(), p.executable().path());
      assertTrue(p.risks().traced(), "TracerPid must be seen");
      assertEquals(peer.pid(), p.risks().tracerPid(), "the tracer is strace itself");
      assertTrue(p.process().pid() != peer.pid());
    }
  }

  @Test
  void ldPreloadIsReportedAsInjected() throws Exception {
    Path lib = Path.of("/lib/x86_64-linux-gnu/libm.so.6");
    if (!Files.exists(lib)) {
      lib = Path.of("/usr/lib64/libm.so.6");
    }
    Path client = live.copy(curl, "preloaded-client");
    LivePeers.Peer peer = live.start(live.curl(client), Map.of("LD_PRELOAD", lib.toString()));
    try (PeerProcess p = backend.attach(PeerHandle.socket(peer.fd()))) {
      assertEquals(List.of("LD_PRELOAD=" + lib), p.risks().injectedLibraries());
    }
  }

  @Test
  void pathReplacedAfterStartIsJudgedByTheInodeItRuns() throws Exception {
    Path client = live.copy(curl, "swapped-client");
    FileIdentity running = FileIdentity.of(client);
    LivePeers.Peer peer = live.start(live.curl(client));
    // the attacker puts a signed file at the path once the unsigned one runs
    Path signed = live.copy(curl, "signed-replacement");
    keys.sign(signed);
    Files.move(signed, client, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    try (PeerProcess p = backend.attach(PeerHandle.socket(peer.fd()))) {
      assertEquals(running.inode(), p.executable().identity().inode());
      assertTrue(p.executable().identity().inode() != FileIdentity.of(client).inode());
      assertEquals(client + " (deleted)", p.executable().path());
      VerifiedExecutable v = p.verifyExecutable(context());
      assertEquals(SignatureStatus.UNSIGNED, v.signature().status(), "the running inode is unsigned: " + v.signature());
      p.confirmUnchanged();
    }
  }

  @Test
  void sidecarCopiedFromAnotherSignedFileDoesNotVouchForTheRunningInode() throws Exception {
    Path client = live.copy(curl, "sidecar-client");
    Files.write(client, new byte[] {0}, java.nio.file.StandardOpenOption.APPEND); // other bytes than curl
    LivePeers.Peer peer = live.start(live.curl(client));
    Path genuine = live.copy(curl, "genuine-client");
    keys.signSidecar(genuine);
    Files.copy(Path.of(genuine + ".sig"), Path.of(client + ".sig"));
    try (PeerProcess p = backend.attach(PeerHandle.socket(peer.fd()))) {
      VerifiedExecutable v = p.verifyExecutable(context());
      assertEquals(SignatureStatus.INVALID, v.signature().status(), v.signature().toString());
    }
  }

  @Test
  void deletedSignedExecutableIsStillReadThroughProcExe() throws Exception {
    Path client = live.copy(curl, "deleted-client");
    keys.sign(client);
    FileIdentity running = FileIdentity.of(client);
    LivePeers.Peer peer = live.start(live.curl(client));
    Files.delete(client);
    try (PeerProcess p = backend.attach(PeerHandle.socket(peer.fd()))) {
      // unlinking moves the inode's ctime, so compare the inode itself
      assertEquals(running.device(), p.executable().identity().device());
      assertEquals(running.inode(), p.executable().identity().inode());
      assertEquals(client + " (deleted)", p.executable().path());
      VerifiedExecutable v = p.verifyExecutable(context());
      assertEquals(SignatureStatus.VALID, v.signature().status(), "security.ima travels with the inode");
    }
  }

  @Test
  void peerThatExitsBeforeTheVerdictIsNotConfirmed() throws Exception {
    Path client = live.copy(curl, "leaving-client");
    LivePeers.Peer peer = live.start(live.curl(client));
    try (PeerProcess p = backend.attach(PeerHandle.socket(peer.fd()))) {
      p.confirmUnchanged();
      peer.kill();
      PeerIdentificationException e = assertThrows(PeerIdentificationException.class, p::confirmUnchanged);
      assertTrue(e.getMessage().contains("process " + peer.pid() + " exited"), e.getMessage());
    }
  }

  @Test
  void attachToAnExitedPeerFails() throws Exception {
    Path client = live.copy(curl, "gone-client");
    LivePeers.Peer peer = live.start(live.curl(client));
    int fd = peer.fd();
    peer.kill();
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
        () -> backend.attach(PeerHandle.socket(fd)).close());
    assertTrue(e.getMessage().contains("exited"), e.getMessage());
  }

  @Test
  void fileChangedAfterAttachIsNeitherVerifiedNorConfirmed() throws Exception {
    Path client = live.copy(curl, "changing-client");
    LivePeers.Peer peer = live.start(live.curl(client));
    try (PeerProcess p = backend.attach(PeerHandle.socket(peer.fd()))) {
      // signing the running file after the peer was identified moves its ctime: a new file identity
      keys.sign(client);
      IOException e = assertThrows(IOException.class, () -> p.verifyExecutable(context()));
      assertTrue(e.getMessage().contains("changed"), e.getMessage());
      PeerIdentificationException c = assertThrows(PeerIdentificationException.class, p::confirmUnchanged);
      assertTrue(c.getMessage().startsWith("executable changed"), c.getMessage());
    }
  }

  @Test
  void execAfterConnectIsSeenByConfirmUnchanged() throws Exception {
    Path python = live.copy(Tools.python(), "python3");
    Path sleep = Tools.require("sleep");
    // connects as python, then replaces itself (same pid, same socket) with another program
    LivePeers.Peer peer = live.start(live.python(python,
        "os.execv(" + LivePeers.quote(sleep.toString()) + ", ['sleep', '120'])"));
    try (PeerProcess p = backend.attach(PeerHandle.socket(peer.fd()))) {
      p.confirmUnchanged();
      peer.send("go");
      waitForExe(peer.pid(), sleep);
      PeerIdentificationException e = assertThrows(PeerIdentificationException.class, p::confirmUnchanged);
      assertTrue(e.getMessage().startsWith("executable changed"), e.getMessage());
    }
  }

  private static void waitForExe(long pid, Path expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try {
        if (Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).equals(expected)) {
          return;
        }
      } catch (IOException e) {
        // between images
      }
      Thread.sleep(10);
    }
    throw new AssertionError("process " + pid + " did not exec " + expected);
  }

  @Test
  void startTimePinIsUsedWithoutPidfdSupport() throws Exception {
    KernelWithoutPeerPidfd kernel = new KernelWithoutPeerPidfd(new JnaLinuxLibc());
    LinuxPeerBackend old = new LinuxPeerBackend(kernel);
    Path client = live.copy(curl, "old-kernel-client");
    LivePeers.Peer peer = live.start(live.curl(client));
    long ticks = ProcFs.system().startTime(peer.pid());
    try (PeerProcess first = old.attach(PeerHandle.socket(peer.fd()))) {
      assertEquals("starttime:" + ticks, first.process().raceToken());
    }
    try (PeerProcess p = old.attach(PeerHandle.socket(peer.fd()))) {
      assertEquals("starttime:" + ticks, p.process().raceToken(), "the second peer is pinned the same way");
      assertEquals(1, kernel.peerPidfdCalls.get(), "a kernel without SO_PEERPIDFD is asked once, not per peer");
      p.confirmUnchanged();
      peer.kill();
      PeerIdentificationException e = assertThrows(PeerIdentificationException.class, p::confirmUnchanged);
      assertTrue(e.getMessage().contains("exited"), e.getMessage());
    }
  }

  @Test
  void pidHandleIsRacyAndReadsIdsFromProc() throws Exception {
    Path client = live.copy(curl, "inspected-client");
    LivePeers.Peer peer = live.start(live.curl(client));
    try (PeerProcess p = backend.attach(PeerHandle.pid(peer.pid()))) {
      assertTrue(p.process().racy());
      assertEquals("pidfd", p.process().raceToken());
      assertEquals(peer.pid(), p.process().pid());
      assertEquals(Tools.uid(), p.process().uid());
      assertEquals(client.toString(), p.executable().path());
      p.confirmUnchanged();
    }
  }

  @Test
  void pidHandleForNoProcessFails() throws Exception {
    Path client = live.copy(curl, "short-client");
    LivePeers.Peer peer = live.start(live.curl(client));
    long pid = peer.pid();
    peer.kill();
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
        () -> backend.attach(PeerHandle.pid(pid)).close());
    assertTrue(e.getMessage().contains("no process " + pid) || e.getMessage().contains("exited"), e.getMessage());
  }

  @Test
  void junixsocketHandleIdentifiesThePeer() throws Exception {
    Path client = live.copy(curl, "junix-client");
    LivePeers.Peer peer = live.start(live.curl(client));
    PeerHandle handle = LinuxPeers.of(peer.socket);
    assertTrue(backend.accepts(handle));
    try (PeerProcess p = backend.attach(handle)) {
      assertEquals(peer.pid(), p.process().pid());
    }
    assertFalse(peer.socket.isClosed(), "the caller keeps the socket");
    peer.socket.close();
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class, () -> backend.attach(handle));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  @Test
  void junixsocketChannelHandleIdentifiesThePeer() throws Exception {
    Path sock = live.dir.resolve("channel.sock");
    try (AFUNIXServerSocketChannel server = AFUNIXServerSocketChannel.open()) {
      server.bind(AFUNIXSocketAddress.of(sock.toFile()));
      Process child = new ProcessBuilder(curl.toString(), "-s", "-m", "60", "--unix-socket", sock.toString(),
          "http://peer/").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      try (AFUNIXSocketChannel channel = server.accept(); PeerProcess p = backend.attach(LinuxPeers.of(channel))) {
        assertEquals(child.pid(), p.process().pid());
        assertEquals(curl.toString(), p.executable().path());
      } finally {
        child.destroyForcibly();
        child.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void kernelThreadHasNoExecutableToIdentify() {
    // pid 2 is kthreadd on a normal boot; in a PID namespace it may be an ordinary process, then skip
    Path exe = Path.of("/proc/2/exe");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/2")) && !Files.exists(exe),
        "pid 2 is not a kernel thread here");
    Tools.requireRoot("reading another user's /proc/<pid>/exe");
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
        () -> backend.attach(PeerHandle.pid(2)).close());
    assertTrue(e.getMessage().contains("no executable"), e.getMessage());
  }

  @Test
  void badDescriptorsGiveAClearIdentificationError() throws Exception {
    PeerIdentificationException notOpen = assertThrows(PeerIdentificationException.class,
        () -> backend.attach(PeerHandle.socket(1_000_000)));
    assertTrue(notOpen.getMessage().contains("not an open file descriptor"), notOpen.getMessage());

    try (FileInputStream file = new FileInputStream("/proc/self/stat")) {
      int fd = FileDescriptorCast.using(file.getFD()).as(Integer.class);
      PeerIdentificationException notSocket = assertThrows(PeerIdentificationException.class,
          () -> backend.attach(PeerHandle.socket(fd)));
      assertTrue(notSocket.getMessage().contains("not a socket"), notSocket.getMessage());
    }

    try (AFUNIXDatagramSocket unconnected = AFUNIXDatagramSocket.newInstance()) {
      int fd = FileDescriptorCast.using(unconnected.getFileDescriptor()).as(Integer.class);
      PeerIdentificationException pid0 = assertThrows(PeerIdentificationException.class,
          () -> backend.attach(PeerHandle.socket(fd)));
      assertTrue(pid0.getMessage().contains("gave pid 0"), pid0.getMessage());
    }

    try (AFUNIXSocket neverConnected = AFUNIXSocket.newInstance()) {
      PeerIdentificationException none = assertThrows(PeerIdentificationException.class,
          () -> backend.attach(LinuxPeers.of(neverConnected)));
      assertTrue(none.getMessage().contains("descriptor"), none.getMessage());
    }
  }

  @Test
  void closedPeerProcessIsNotConfirmed() throws Exception {
    Path client = live.copy(curl, "released-client");
    LivePeers.Peer peer = live.start(live.curl(client));
    PeerProcess p = backend.attach(PeerHandle.socket(peer.fd()));
    p.close();
    p.close();
    assertThrows(PeerIdentificationException.class, p::confirmUnchanged);
    assertThrows(IOException.class, () -> p.verifyExecutable(context()));
  }
}
