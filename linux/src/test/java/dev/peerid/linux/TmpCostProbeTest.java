package dev.peerid.linux;

import dev.peerid.PeerHandle;
import dev.peerid.spi.PeerProcess;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TmpCostProbeTest {
  @Test
  void probe() throws Exception {
    try (LivePeers live = new LivePeers()) {
      Path client = AttackKit.compile(live.dir, "client", AttackKit.CLIENT_C);
      for (Object[] peerSpec : new Object[][] {{"gcc client", AttackKit.command(client, live.socketPath)},
          {"curl", live.curl(Tools.require("curl"))}, {"python3", live.python(Tools.python(), "pass")}}) {
        @SuppressWarnings("unchecked")
        LivePeers.Peer peer = live.start((java.util.List<String>) peerSpec[1]);
        Thread.sleep(200);
        JnaLinuxLibc libc = new JnaLinuxLibc();
        LinuxPeerBackend plain = new LinuxPeerBackend(libc, false);
        LinuxPeerBackend strict = new LinuxPeerBackend(libc, true);
        ProcFs proc = ProcFs.system(libc);
        long pid = peer.pid();
        ProcFs.Exe exe = proc.exeSnapshot(pid);
        String maps = MappedLibraries.read(proc.maps(pid));
        int fd = peer.fd();
        ModifiedCode codeCheck = new ModifiedCode();
        for (int round = 0; round < 3; round++) {
          int n = 20000;
          long t0 = System.nanoTime();
          for (int i = 0; i < n; i++) {
            try (PeerProcess p = plain.attach(PeerHandle.socket(fd))) { }
          }
          long t1 = System.nanoTime();
          for (int i = 0; i < n; i++) {
            try (PeerProcess p = strict.attach(PeerHandle.socket(fd))) { }
          }
          long t2 = System.nanoTime();
          for (int i = 0; i < n; i++) {
            codeCheck.check(proc, pid, maps, exe.path(), exe.identity());
          }
          long t3 = System.nanoTime();
          System.out.printf("PROBE %s round %d: default attach %.1f us, strict attach %.1f us, code check alone %.1f us%n",
              peerSpec[0], round, (t1 - t0) / 1e3 / n, (t2 - t1) / 1e3 / n, (t3 - t2) / 1e3 / n);
        }
      }
    }
  }
}
