package dev.peerid.broker;

import dev.peerid.PeerIdentity;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import dev.peerid.linux.ima.ImaHashAlgorithm;
import dev.peerid.linux.ima.ImaSigner;
import dev.peerid.netty.PeerAuthenticationEvent;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The whole story in one command: a throwaway vendor key, a signed copy of curl, the broker on a
 * temporary socket; the signed copy is served, an unsigned copy and a signed interpreter are
 * refused; a table says who was allowed and why; everything is removed afterwards. Exit status 0
 * when every outcome is the expected one.
 */
final class Demo {
  private static final String VENDOR = "demo-vendor";
  // held so the level set below stays in force (java.util.logging keeps loggers weakly)
  private static final java.util.logging.Logger HANDLER_LOG = java.util.logging.Logger.getLogger("dev.peerid.netty");

  private record Client(String label, List<String> command, boolean shouldBeServed) {}

  private record Row(String label, long pid, boolean served, boolean expected, PeerAuthenticationEvent event, String note) {}

  private Demo() {}

  static int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
    boolean sidecar = false;
    for (String a : args) {
      if (a.equals("--sidecar")) {
        sidecar = true;
      } else {
        throw new BrokerMain.UsageException("unknown demo option '" + a + "'");
      }
    }
    Path curl = onPath("curl");
    if (curl == null) {
      err.println("demo: needs curl on PATH (the native client it signs)");
      return 1;
    }
    // the table says who was denied and why; the handler's per-denial log lines would interleave with it
    HANDLER_LOG.setLevel(java.util.logging.Level.WARNING);
    Path dir = Files.createTempDirectory("peerid-demo-", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    try {
      return demo(dir, curl, sidecar, out, err);
    } finally {
      deleteTree(dir);
      out.println("cleaned up " + dir);
    }
  }

  private static int demo(Path dir, Path curl, boolean forceSidecar, PrintStream out, PrintStream err)
      throws Exception {
    out.println("peerid demo: " + (isRoot() ? "running as root" : "running as an ordinary user") + ", in " + dir);
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    KeyPair vendor = gen.generateKeyPair();
    ImaSigner signer = ImaSigner.of(vendor.getPrivate(), vendor.getPublic(), null, ImaHashAlgorithm.SHA256);
    out.println("1. made a throwaway vendor key (RSA 2048, IMA key id " + signer.keyIdHex() + ")");

    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path signedCurl = copy(curl, bin.resolve("vendor-client"));
    Path unsignedCurl = copy(curl, bin.resolve("copied-client"));
    String where = sign(signer, signedCurl, forceSidecar);
    out.println("2. copied " + curl + " twice; signed " + signedCurl.getFileName() + " (" + where + ")");

    Path python = realPython();
    Path signedPython = null;
    if (python != null) {
      signedPython = copy(python, bin.resolve("python3"));
      sign(signer, signedPython, forceSidecar);
      out.println("   copied " + python + " to " + signedPython.getFileName() + " and signed it too: a signed interpreter");
    }

    Path socket = dir.resolve("broker.sock");
    Map<Long, PeerAuthenticationEvent> events = new ConcurrentHashMap<>();
    TrustStore trust = TrustStore.builder().trust(VENDOR, vendor.getPublic()).build();
    Policy connect = Policy.parse("signed by \"" + VENDOR + "\"");
    Broker.Settings settings = new Broker.Settings(socket, trust, connect, AccessRules.empty(),
        AccessRules.mode("demo", "0600"), true,
        e -> e.identity().flatMap(PeerIdentity::process).ifPresent(p -> events.put(p.pid(), e)));
    List<Row> rows = new ArrayList<>();
    try (Broker broker = Broker.start(settings)) {
      out.println("3. broker listening on " + socket + " (policy: " + connect.text() + ")");
      List<Client> clients = new ArrayList<>();
      clients.add(new Client("signed copy of curl", curlCommand(signedCurl, socket), true));
      clients.add(new Client("unsigned copy of curl", curlCommand(unsignedCurl, socket), false));
      if (signedPython != null) {
        clients.add(new Client("signed copy of python3", pythonCommand(signedPython, socket), false));
      }
      for (Client c : clients) {
        rows.add(call(c, events));
      }
    }
    out.println("4. results:");
    out.println();
    printTable(rows, out, bin.toString() + File.separator);
    out.println();
    if (signedPython == null) {
      out.println("note: python3 was not found, so the signed-interpreter case was skipped");
    }
    boolean ok = rows.stream().allMatch(Row::expected);
    out.println(ok ? "every outcome was as expected: only the signed native client was served"
        : "UNEXPECTED OUTCOME: see the table above");
    return ok ? 0 : 1;
  }

  private static Row call(Client c, Map<Long, PeerAuthenticationEvent> events) throws Exception {
    Process p = new ProcessBuilder(c.command()).redirectErrorStream(true).start();
    String output;
    try {
      output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Row(c.label(), p.pid(), false, false, null, "the client did not finish");
      }
    } finally {
      p.getInputStream().close();
      p.getOutputStream().close();
    }
    boolean served = output.lines().anyMatch(l -> l.strip().equals("HTTP 200"));
    PeerAuthenticationEvent event = null;
    for (int i = 0; i < 100 && event == null; i++) {
      event = events.get(p.pid());
      if (event == null) {
        Thread.sleep(20);
      }
    }
    boolean expected = served == c.shouldBeServed() && event != null && event.isSuccess() == c.shouldBeServed();
    return new Row(c.label(), p.pid(), served, expected, event, event == null ? "no verdict recorded" : "");
  }

  private static List<String> curlCommand(Path curl, Path socket) {
    return List.of(curl.toString(), "-s", "--max-time", "20", "--unix-socket", socket.toString(),
        "-o", "/dev/null", "-w", "HTTP %{http_code}\\n", "http://broker/whoami");
  }

  private static List<String> pythonCommand(Path python, Path socket) {
    String script = String.join("\n",
        "import socket, sys",
        "s = socket.socket(socket.AF_UNIX)",
        "s.settimeout(20)",
        "s.connect(sys.argv[1])",
        "s.sendall(b'GET /whoami HTTP/1.1\\r\\nHost: broker\\r\\nConnection: close\\r\\n\\r\\n')",
        "data = b''",
        "try:",
        "    while True:",
        "        chunk = s.recv(4096)",
        "        if not chunk: break",
        "        data += chunk",
        "except OSError:",
        "    pass",
        "line = data.split(b'\\r\\n', 1)[0].decode('ascii', 'replace')",
        "print('HTTP ' + (line.split(' ')[1] if line.count(' ') >= 1 else '000'))");
    return List.of(python.toString(), "-c", script, socket.toString());
  }

  private static void printTable(List<Row> rows, PrintStream out, String binPrefix) {
    String fmt = "%-24s %-8s %-26s %-9s %s%n";
    out.printf(fmt, "CLIENT", "PID", "SIGNATURE", "VERDICT", "WHY");
    for (Row r : rows) {
      PeerAuthenticationEvent e = r.event();
      String signature = e == null ? "?" : e.identity().map(id -> id.signature().status().id()
          + id.signature().signer().flatMap(s -> s.trustName()).map(n -> " (" + n + ")").orElse("")).orElse("?");
      String verdict = e == null ? "?" : e.isSuccess() ? "ALLOWED" : "DENIED";
      String why;
      if (e == null) {
        why = r.note();
      } else if (e.isSuccess()) {
        why = e.reasons().isEmpty() ? "signed by \"" + VENDOR + "\"" : String.join("; ", e.reasons());
      } else {
        why = String.join("; ", e.reasons());
      }
      out.printf(fmt, r.label(), r.pid(), signature, verdict,
          why.replace(binPrefix, "") + (r.expected() ? "" : "   <-- NOT AS EXPECTED"));
    }
  }

  private static String sign(ImaSigner signer, Path file, boolean forceSidecar) throws Exception {
    if (!forceSidecar) {
      try {
        signer.sign(file, ImaSigner.Storage.XATTR);
        return "security.ima";
      } catch (IOException notAllowed) {
        // writing security.* needs CAP_SYS_ADMIN (or the filesystem lacks xattrs): use the sidecar
      }
    }
    Path sig = signer.sign(file, ImaSigner.Storage.SIDECAR);
    return "sidecar " + sig.getFileName();
  }

  private static Path copy(Path from, Path to) throws IOException {
    Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwx------"));
    return to;
  }

  /** The python3 binary itself (PATH may hold a wrapper script, e.g. pyenv's shim). */
  private static Path realPython() {
    Path python = onPath("python3");
    if (python == null) {
      return null;
    }
    try {
      Process p = new ProcessBuilder(python.toString(), "-c",
          "import os, sys; print(os.path.realpath(sys.executable))").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      p.getInputStream().close();
      p.getOutputStream().close();
      if (p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0 && Files.isRegularFile(Path.of(out))) {
        return Path.of(out);
      }
    } catch (IOException | InterruptedException e) {
      // fall through: treat as absent
    }
    return null;
  }

  static Path onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(d, name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        try {
          return p.toRealPath();
        } catch (IOException e) {
          return p;
        }
      }
    }
    return null;
  }

  private static boolean isRoot() {
    try {
      return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static void deleteTree(Path dir) {
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          Files.deleteIfExists(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      System.err.println("demo: could not remove all of " + dir + ": " + e.getMessage());
    }
  }
}
