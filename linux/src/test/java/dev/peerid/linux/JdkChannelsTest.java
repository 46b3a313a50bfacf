package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.peerid.PeerIdentificationException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * {@link JdkChannels}: a JDK {@code ServerSocketChannel.open(UNIX)} server, in a JVM of its own on
 * this JDK and on every newer one under /usr/lib/jvm, with signed and unsigned curl as clients.
 */
@EnabledOnOs(OS.LINUX)
class JdkChannelsTest {
  private LivePeers live;
  private ImaTestKeys keys;
  private Path curl;

  @BeforeEach
  void setUp() throws Exception {
    curl = Tools.require("curl");
    live = new LivePeers();
    keys = ImaTestKeys.create(live.dir);
  }

  @AfterEach
  void tearDown() throws IOException {
    live.close();
  }

  @Test
  void signedCurlIsAllowedAndAnUnsignedCopyDeniedOnEveryJdk() throws Exception {
    Path signed = live.copy(curl, "jdk-signed");
    keys.signSidecar(signed); // no privilege needed, unlike security.ima
    Path unsigned = live.copy(curl, "jdk-unsigned");
    List<Path> jdks = jdks();
    for (Path jdk : jdks) {
      Path socket = live.dir.resolve("jdk-" + jdks.indexOf(jdk) + ".sock");
      try (Server server = new Server(jdk, socket, true, 2)) {
        long signedPid = connect(signed, socket);
        String first = server.line();
        assertTrue(first.startsWith("ALLOWED " + signedPid + " " + signed), jdk + ": " + first);
        connect(unsigned, socket);
        String second = server.line();
        assertTrue(second.startsWith("DENIED ") && second.contains(unsigned.toString())
            && second.contains("signature"), jdk + ": " + second);
      }
    }
  }

  @Test
  void withoutTheFlagTheHandleIsRefusedNamingIt() throws Exception {
    for (Path jdk : jdks()) {
      Path socket = live.dir.resolve("noflag.sock");
      Files.deleteIfExists(socket);
      try (Server server = new Server(jdk, socket, false, 1)) {
        connect(curl, socket);
        String line = server.line();
        assertTrue(line.startsWith("NO-HANDLE ") && line.contains(JdkChannels.REQUIRED_FLAG), jdk + ": " + line);
      }
    }
  }

  @Test
  void closedOrNonLocalChannelsAreRefused() throws Exception {
    Path path = live.dir.resolve("closed.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(path));
      SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path));
      SocketChannel accepted = server.accept();
      accepted.close();
      client.close();
      assertTrue(assertThrows(PeerIdentificationException.class, () -> JdkChannels.handle(accepted))
          .getMessage().contains("closed"));
    }
    try (SocketChannel unconnected = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      assertTrue(assertThrows(PeerIdentificationException.class, () -> JdkChannels.handle(unconnected))
          .getMessage().contains("not connected"));
    }
    try (ServerSocketChannel tcp = ServerSocketChannel.open()) {
      tcp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      try (SocketChannel client = SocketChannel.open(tcp.getLocalAddress()); SocketChannel accepted = tcp.accept()) {
        assertTrue(assertThrows(PeerIdentificationException.class, () -> JdkChannels.handle(accepted))
            .getMessage().contains("not a Unix-domain channel"));
      }
    }
  }

  /** Starts curl against the socket and returns its pid; it stays until the server closes. */
  private long connect(Path client, Path socket) throws IOException {
    Process p = new ProcessBuilder(client.toString(), "-s", "-m", "60", "--unix-socket", socket.toString(),
        "http://jdk/").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    started.add(p);
    return p.pid();
  }

  private final List<Process> started = new ArrayList<>();

  /** This test's JDK, and every newer JDK installed beside it. */
  static List<Path> jdks() throws IOException {
    List<Path> jdks = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"))));
    int current = Runtime.version().feature();
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      try (Stream<Path> dirs = Files.list(jvms)) {
        for (Path dir : dirs.sorted().toList()) {
          int feature = feature(dir.resolve("release"));
          if (feature > current && Files.isExecutable(dir.resolve("bin/java")) && !Files.isSymbolicLink(dir)) {
            jdks.add(dir);
          }
        }
      }
    }
    return jdks;
  }

  private static int feature(Path release) throws IOException {
    if (!Files.isRegularFile(release)) {
      return -1;
    }
    Matcher m = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)").matcher(Files.readString(release));
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  /** The server JVM: with or without the flag JdkChannels needs. */
  private final class Server implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;

    Server(Path jdk, Path socket, boolean flag, int connections) throws IOException {
      List<String> command = new ArrayList<>(List.of(jdk.resolve("bin/java").toString()));
      if (flag) {
        command.addAll(List.of(JdkChannels.REQUIRED_FLAG.split(" ")));
      }
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), JdkChannelServerMain.class.getName(),
          socket.toString(), keys.certPem.toString(), String.valueOf(connections)));
      process = new ProcessBuilder(command).redirectError(live.dir.resolve("server.err").toFile()).start();
      out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("READY", line(), "the server JVM on " + jdk + " did not start");
    }

    String line() throws IOException {
      String line = out.readLine();
      if (line == null) {
        fail("the server JVM exited: " + Files.readString(live.dir.resolve("server.err")));
      }
      return line;
    }

    @Override
    public void close() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(20, TimeUnit.SECONDS);
      for (Process p : started) {
        p.destroyForcibly();
        p.waitFor(20, TimeUnit.SECONDS);
      }
    }
  }
}
