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
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Signed programs that run code their signature does not cover: the dynamic loader run as a
 * program, a script whose shebang names a signed interpreter, launchers that exec.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(60)
class AttackLoaderTest {
  private LivePeers live;
  private ImaTestKeys keys;
  private PeerVerifier verifier;
  private Path attacker;

  @BeforeEach
  void setUp() throws Exception {
    live = new LivePeers();
    AttackKit.openUp(live);
    keys = ImaTestKeys.create(live.dir);
    verifier = AttackKit.verifier(keys, AttackKit.POLICY);
    attacker = AttackKit.attackerDir(live, "attacker");
  }

  @AfterEach
  void tearDown() throws Exception {
    verifier.close();
    live.close();
  }

  private Path unsignedClient() throws Exception {
    return AttackKit.compile(attacker, "evil-client", AttackKit.CLIENT_C.replace("return \"vendor\"", "return \"EVIL\""));
  }

  /** The system's dynamic loader (what PT_INTERP of every dynamic program names). */
  private static Path loader() {
    for (String p : new String[] {"/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1", "/lib/ld-linux-armhf.so.3"}) {
      if (Files.isExecutable(Path.of(p))) {
        return Tools.require(p);
      }
    }
    return Tools.require("/lib64/ld-linux-x86-64.so.2");
  }

  /** A copy of {@code program} signed by the trusted key, as if the trusted signer signed the system's files. */
  private Path signedCopy(Path program, String name) throws Exception {
    Path copy = live.copy(program, name);
    keys.signSidecar(copy);
    AttackKit.makeReadable(copy);
    return copy;
  }

  @Test
  void signedDynamicLoaderRunningAnUnsignedProgramIsDenied() throws Exception {
    Path ldso = signedCopy(loader(), loader().getFileName().toString());
    LivePeers.Peer peer = live.start(asAttacker(command(ldso, unsignedClient(), live.socketPath)));
    assertEquals("EVIL", AttackKit.firstLine(peer), "the unsigned program runs");
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertEquals(ldso.toString(), v.identity().orElseThrow().executable().path(), "the loader is the executable");
    assertEquals(SignatureStatus.VALID, v.identity().orElseThrow().signature().status());
    assertFalse(v.isAllowed(), "the dynamic loader runs unsigned code: " + v);
    assertTrue(String.join(" ", v.reasons()).contains("interpreter"), v.reasons().toString());
  }

  @Test
  void renamedSignedDynamicLoaderRunningAnUnsignedProgramIsDenied() throws Exception {
    Path ldso = signedCopy(loader(), "vendor-helper");
    LivePeers.Peer peer = live.start(asAttacker(command(ldso, unsignedClient(), live.socketPath)));
    assertEquals("EVIL", AttackKit.firstLine(peer));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), "the dynamic loader runs unsigned code: " + v);
  }

  @Test
  void scriptWithAShebangNamingARenamedSignedPythonIsDeniedAsAnInterpreter() throws Exception {
    Path python = signedCopy(Tools.python(), "vendor-tool");
    Path script = attacker.resolve("script");
    Files.writeString(script, "#!" + python + "\n"
        + "import socket, time\n"
        + "s = socket.socket(socket.AF_UNIX)\n"
        + "s.connect(" + LivePeers.quote(live.socketPath.toString()) + ")\n"
        + "s.sendall(b'EVIL\\n')\n"
        + "time.sleep(120)\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    LivePeers.Peer peer = live.start(asAttacker(command(script)));
    assertEquals("EVIL", AttackKit.firstLine(peer));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertEquals(python.toString(), v.identity().orElseThrow().executable().path(), "the interpreter is the executable");
    assertEquals(SignatureStatus.VALID, v.identity().orElseThrow().signature().status());
    assertFalse(v.isAllowed(), v.toString());
    assertEquals("python", v.identity().orElseThrow().risks().interpreter().orElseThrow());
  }

  @Disabled("ATTACK SUCCEEDS (needs the trusted key to have signed an interpreter build that is not the system's):"
      + " a signed python whose bytes differ from /usr/bin/python3, under a name that is no interpreter's, is not"
      + " recognised. Fix: recognise interpreters by their ELF dynamic symbols (see the redteam report)")
  @Test
  void signedPythonBuildThatIsNotTheSystemsIsDeniedAsAnInterpreter() throws Exception {
    Path build = live.copy(Tools.python(), "vendor-runtime");
    // one byte after the ELF image: the program is unchanged, its digest is no longer the system python's
    Files.write(build, new byte[] {0}, StandardOpenOption.APPEND);
    keys.signSidecar(build);
    AttackKit.makeReadable(build);
    LivePeers.Peer peer = live.start(asAttacker(live.python(build, "pass")));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertEquals(SignatureStatus.VALID, v.identity().orElseThrow().signature().status());
    assertFalse(v.isAllowed(), "python runs the attacker's -c code: " + v);
  }

  @Test
  void signedLauncherThatExecsAnUnsignedProgramDoesNotLendItsSignature() throws Exception {
    Path env = signedCopy(Tools.require("env"), "vendor-launcher");
    LivePeers.Peer peer = live.start(asAttacker(command(env, unsignedClient(), live.socketPath)));
    assertEquals("EVIL", AttackKit.firstLine(peer));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(SignatureStatus.UNSIGNED, v.identity().orElseThrow().signature().status());
    assertTrue(v.identity().orElseThrow().executable().path().endsWith("evil-client"), v.toString());
  }
}
