package dev.peerid.sample.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.Policy;
import dev.peerid.netty.SignedClients;
import dev.peerid.netty.Tools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sample's WhoAmI with real clients: signed curl speaking gRPC, an unsigned copy, and a
 * grpc-java client in a JVM of its own (an interpreter: allowed only when the policy opts in).
 */
class GrpcSampleTest {
  @TempDir
  Path dir;

  private SignedClients clients;
  private Path socket;
  private GrpcSample sample;

  @BeforeEach
  void setUp() throws Exception {
    Tools.requireBackendAndPolicy();
    clients = SignedClients.make(dir);
    socket = dir.resolve("sample.sock");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (sample != null) {
      sample.close();
    }
  }

  private void serve(String policy) throws Exception {
    sample = new GrpcSample(socket, clients.trustStore(), Policy.parse(policy));
  }

  @Test
  void signedCurlGetsItsIdentityAsJsonAndAnUnsignedCopyIsRefused() throws Exception {
    serve("signed by \"vendor\"");
    assertEquals("600", Integer.toOctalString((Integer) Files.getAttribute(socket, "unix:mode") & 0777));
    Curl signed = curl(clients.signedCurl);
    assertEquals(0, signed.exit, signed.stderr);
    assertTrue(signed.headers.contains("grpc-status: 0"), signed.headers);
    String json = IdentityProto.decodeResponse(signed.message()).json();
    assertTrue(json.contains("\"pid\":" + signed.pid + ",") && json.contains("\"decision\":\"allow\"")
        && json.contains("\"path\":\"" + clients.signedCurl + "\""), json);

    Curl unsigned = curl(clients.unsignedCurl);
    assertNotEquals(0, unsigned.exit);
    assertEquals(1, sample.served.get(), "the refused connection reached the service method");
  }

  @Test
  void aGrpcJavaClientInAnotherJvmIsRefusedWithTheReasonUnlessThePolicyOptsIntoInterpreters() throws Exception {
    serve("signed by \"vendor\"");
    Jvm refused = whoamiJvm();
    assertEquals(1, refused.exit, refused.stdout + refused.stderr);
    assertTrue(refused.stderr.contains("PERMISSION_DENIED") && refused.stderr.contains("interpreter"), refused.stderr);
    assertEquals(0, sample.served.get());
    sample.close();

    String javaHome = Path.of(System.getProperty("java.home")).toRealPath().toString();
    serve("signed by \"vendor\" or (interpreter and path matches \"" + javaHome + "/**\")");
    Jvm allowed = whoamiJvm();
    assertEquals(0, allowed.exit, allowed.stderr);
    assertTrue(allowed.stdout.contains("\"pid\":" + allowed.pid + ",") && allowed.stdout.contains("\"decision\":\"allow\""),
        allowed.stdout);
    assertEquals(1, sample.served.get());
  }

  @Test
  void theCommandLineRefusesMistakes() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertEquals(2, GrpcSampleMain.run(new String[] {"serve"}, System.out, errStream));
    assertEquals(2, GrpcSampleMain.run(new String[] {"serve", "--socket", "x", "--policy", "signed by"},
        System.out, errStream));
    assertEquals(2, GrpcSampleMain.run(new String[] {"serve", "--socket", "x", "--bogus"}, System.out, errStream));
    String text = err.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("--socket PATH is required") && text.contains("--policy: ")
        && text.contains("unknown option '--bogus'"), text);
  }

  private record Curl(long pid, int exit, String headers, byte[] body, String stderr) {
    byte[] message() {
      return Arrays.copyOfRange(body, 5, body.length); // after the gRPC length prefix
    }
  }

  private Curl curl(Path curl) throws IOException, InterruptedException {
    Path request = dir.resolve("request.bin");
    Files.write(request, new byte[] {0, 0, 0, 0, 0});
    Path headers = Files.createTempFile(dir, "h", ".txt");
    Path body = Files.createTempFile(dir, "b", ".bin");
    Process p = new ProcessBuilder(curl.toString(), "-sS", "--max-time", "30", "--http2-prior-knowledge",
        "--unix-socket", socket.toString(), "-H", "content-type: application/grpc", "-H", "te: trailers",
        "--data-binary", "@" + request, "-D", headers.toString(), "-o", body.toString(),
        "http://localhost/" + IdentityProto.WHO_AM_I).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return new Curl(p.pid(), p.exitValue(), Files.readString(headers), Files.readAllBytes(body), stderr);
  }

  private record Jvm(long pid, int exit, String stdout, String stderr) {}

  private Jvm whoamiJvm() throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path out = dir.resolve("client.out");
    Path err = dir.resolve("client.err");
    Process p = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
        GrpcSampleMain.class.getName(), "whoami", "--socket", socket.toString()))
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the client JVM did not finish");
    return new Jvm(p.pid(), p.exitValue(), Files.readString(out), Files.readString(err));
  }
}
