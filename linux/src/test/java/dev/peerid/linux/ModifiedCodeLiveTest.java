package dev.peerid.linux;

import static dev.peerid.linux.AttackKit.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerHandle;
import dev.peerid.spi.PeerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The strict backend's look at code in memory on unmodified real programs: no page the dynamic
 * loader legitimately wrote (relocations, RELRO) may count as modified, in position-independent,
 * fixed-address, static and heavily linked executables alike, nor any page of their libraries' code.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(60)
class ModifiedCodeLiveTest {
  private LivePeers live;
  private LinuxPeerBackend strict;

  @BeforeEach
  void setUp() throws Exception {
    live = new LivePeers();
    strict = LinuxPeerBackend.builder().checkMappedLibraries(true).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    strict.close();
    live.close();
  }

  @Test
  void positionIndependentClientIsNotReported() throws Exception {
    assertUnmodified(AttackKit.compile(live.dir, "pie", AttackKit.CLIENT_C, "-pie", "-fPIE"));
  }

  @Test
  void fixedAddressClientIsNotReported() throws Exception {
    assertUnmodified(AttackKit.compile(live.dir, "nopie", AttackKit.CLIENT_C, "-no-pie", "-fno-pie"));
  }

  @Test
  void clientWithFullRelroAndBindNowIsNotReported() throws Exception {
    assertUnmodified(AttackKit.compile(live.dir, "relro", AttackKit.CLIENT_C, "-Wl,-z,relro,-z,now"));
  }

  @Test
  void clientWithoutRelroIsNotReported() throws Exception {
    assertUnmodified(AttackKit.compile(live.dir, "norelro", AttackKit.CLIENT_C, "-Wl,-z,norelro"));
  }

  @Test
  void staticClientIsNotReported() throws Exception {
    String libc = Tools.runQuietly(Tools.require("gcc").toString(), "-print-file-name=libc.a");
    // a static C library is not what this check needs: no libc.a, no static case (even under CI)
    Assumptions.assumeTrue(Path.of(libc).isAbsolute() && Files.exists(Path.of(libc)), "no libc.a to link statically");
    assertUnmodified(AttackKit.compile(live.dir, "static", AttackKit.CLIENT_C, "-static", "-pthread"), false);
  }

  @Test
  void staticPositionIndependentClientThatRelocatesItselfIsNotReported() throws Exception {
    String rcrt = Tools.runQuietly(Tools.require("gcc").toString(), "-print-file-name=rcrt1.o");
    Assumptions.assumeTrue(Path.of(rcrt).isAbsolute() && Files.exists(Path.of(rcrt)), "no static-pie start files");
    assertUnmodified(AttackKit.compile(live.dir, "staticpie", AttackKit.CLIENT_C, "-static-pie", "-pthread"), false);
  }

  @Test
  void curlIsNotReported() throws Exception {
    LivePeers.Peer peer = live.start(live.curl(Tools.require("curl")));
    assertEquals(List.of(), codeEntries(peer), "curl runs its file's code");
  }

  @Test
  void pythonWithItsLibrariesIsNotReported() throws Exception {
    LivePeers.Peer peer = live.start(live.python(Tools.python(), "import json, ssl, hashlib, ctypes"));
    peer.send("");
    Thread.sleep(300); // let it import (and relocate) its extension modules
    assertEquals(List.of(), codeEntries(peer), "python runs its file's code");
  }

  private void assertUnmodified(Path binary) throws Exception {
    assertUnmodified(binary, true);
  }

  private void assertUnmodified(Path binary, boolean dynamic) throws Exception {
    LivePeers.Peer peer = live.start(command(binary, live.socketPath));
    assertEquals("vendor", AttackKit.firstLine(peer));
    assertEquals(List.of(), codeEntries(peer, dynamic), binary.getFileName() + " runs its file's code");
  }

  /**
   * The comparison itself: it looked at pages the process uses, of the executable and (but for a
   * static one) of its libraries, the C library's code among them, and found them all the files'.
   */
  private static void assertComparedAndClean(long pid, boolean dynamic) throws Exception {
    ProcFs proc = ProcFs.system();
    ProcFs.Exe exe = proc.exeSnapshot(pid);
    String maps = MappedLibraries.read(proc.maps(pid));
    ModifiedCode.Report report = new ModifiedCode().report(proc, pid, maps, exe.path(), exe.identity());
    assertEquals(List.of(), report.entries(), exe.path());
    Map<String, ModifiedCode.Pages> compared = report.compared();
    ModifiedCode.Pages own = compared.get(exe.path());
    assertTrue(own != null && own.checked() > 0 && own.present() > 0, exe.path() + ": " + compared);
    List<String> libraries = compared.keySet().stream().filter(p -> !p.equals(exe.path())).toList();
    if (!dynamic) {
      assertEquals(List.of(), libraries, "a static program maps no library code");
      return;
    }
    assertTrue(libraries.stream().anyMatch(p -> p.contains("/libc.so") && compared.get(p).present() > 0),
        "the C library's code was compared: " + compared);
    long present = libraries.stream().mapToLong(p -> compared.get(p).present()).sum();
    assertTrue(present > 0, compared.toString());
    for (String library : libraries) {
      assertEquals(0, compared.get(library).modified(), library + ": " + compared.get(library));
    }
  }

  /** What the strict backend says about the peer's code in memory. */
  private List<String> codeEntries(LivePeers.Peer peer) throws Exception {
    return codeEntries(peer, true);
  }

  private List<String> codeEntries(LivePeers.Peer peer, boolean dynamic) throws Exception {
    assertComparedAndClean(peer.pid(), dynamic);
    try (PeerProcess p = strict.attach(PeerHandle.socket(peer.fd()))) {
      assertTrue(Files.exists(Path.of(p.executable().path())), p.toString());
      return p.risks().injectedLibraries().stream()
          .filter(e -> e.startsWith("modified:") || e.startsWith("unchecked:"))
          .toList();
    }
  }
}
