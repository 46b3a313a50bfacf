package dev.peerid.linux;

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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * A FUSE filesystem (any user may run one) answers the kernel's exec and peerid's read separately
 * and chooses the device, inode and times that key the cache, so bytes read from it prove nothing
 * about what runs. A genuinely signed client run from a FUSE mount (bindfs) is denied.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(60)
class AttackFuseTest {
  private LivePeers live;
  private ImaTestKeys keys;
  private PeerVerifier verifier;
  private Path mount;

  @BeforeEach
  void setUp() throws Exception {
    live = new LivePeers();
    keys = ImaTestKeys.create(live.dir);
    verifier = AttackKit.verifier(keys, AttackKit.POLICY);
  }

  @AfterEach
  void tearDown() throws Exception {
    verifier.close();
    if (mount != null) {
      new ProcessBuilder("fusermount", "-u", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
      new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
    }
    live.close();
  }

  @Test
  void signedClientRunFromAFuseMountIsDenied() throws Exception {
    Path bindfs = Tools.require("bindfs");
    Path source = Files.createDirectory(live.dir.resolve("fuse-source"));
    Path client = AttackKit.compile(source, "client", AttackKit.CLIENT_C);
    keys.signSidecar(client);
    Path target = Files.createDirectory(live.dir.resolve("fuse-mount"));
    Process p = new ProcessBuilder(List.of(bindfs.toString(), source.toString(), target.toString()))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    // an ordinary user may lack /dev/fuse (mode 600 on some machines); root in CI must mount
    Tools.requireRootFacility(p.waitFor() == 0, "bindfs cannot mount here: " + out);
    mount = target;
    assertEquals(LinuxLibc.FUSE_SUPER_MAGIC, fsType(target.resolve("client")));

    Verdict direct;
    LivePeers.Peer plain = live.start(command(client, live.socketPath));
    assertEquals("vendor", AttackKit.firstLine(plain));
    direct = verifier.verify(PeerHandle.socket(plain.fd()));
    assertTrue(direct.isAllowed(), "the same client run from its real directory: " + direct);

    LivePeers.Peer peer = live.start(command(target.resolve("client"), live.socketPath));
    assertEquals("vendor", AttackKit.firstLine(peer));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(SignatureStatus.INVALID, v.identity().orElseThrow().signature().status());
    assertTrue(String.join(" ", v.reasons()).contains("FUSE"), v.reasons().toString());
  }

  private static long fsType(Path file) throws Exception {
    JnaLinuxLibc libc = new JnaLinuxLibc();
    byte[] name = (file + "\0").getBytes();
    int fd = libc.openReadOnly(name);
    try {
      return libc.filesystemType(fd);
    } finally {
      libc.close(fd);
    }
  }
}
