package dev.peerid.linux.ima;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.peerid.CodeSignature;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** A running process is judged by the inode it runs, read through /proc/PID/exe. */
@EnabledOnOs(OS.LINUX)
class ProcExeTest {
  @TempDir
  Path dir;

  @Test
  void xattrAndContentAreReadThroughTheMagicLinkEvenAfterThePathIsReplaced() throws Exception {
    Tools.require("evmctl", "openssl", "setfattr");
    Tools.requireSecurityXattrs(dir);
    TestKeys.Key key = TestKeys.ec(dir, "vendor", "prime256v1");
    TrustStore trust = TrustStore.builder().trust("vendor", key.certificate()).build();
    Path program = dir.resolve("sleeper");
    Files.copy(Path.of("/bin/sleep"), program);
    ImaSigner.fromPem(key.privatePem(), key.certificateDer(), ImaHashAlgorithm.SHA256)
        .sign(program, ImaSigner.Storage.XATTR);

    Process process = new ProcessBuilder(program.toString(), "60").start();
    try {
      Path exe = Path.of("/proc/" + process.pid() + "/exe");
      ExecutableFile running = new ExecutableFile(exe, program.toString());
      CodeSignature before = new ImaVerifier().verify(running, VerificationContext.of(trust)).signature();
      assertEquals(SignatureStatus.VALID, before.status(), before::toString);
      assertEquals("xattr", before.attribute("storage").orElseThrow());

      // Swap an unsigned copy in at the path: the process still runs the signed inode.
      Path unsigned = dir.resolve("unsigned");
      Files.copy(Path.of("/bin/sleep"), unsigned);
      Files.move(unsigned, program, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      CodeSignature after = new ImaVerifier().verify(running, VerificationContext.of(trust)).signature();
      assertEquals(SignatureStatus.VALID, after.status(), after::toString);
      CodeSignature byPath = new ImaVerifier().verify(ExecutableFile.of(program), VerificationContext.of(trust))
          .signature();
      assertEquals(SignatureStatus.UNSIGNED, byPath.status(), byPath::toString);
    } finally {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void sidecarOfARunningProgramIsCheckedAgainstTheRunningInode() throws Exception {
    Tools.require("openssl");
    TestKeys.Key key = TestKeys.rsa(dir, "vendor", TestKeys.Ski.DEFAULT);
    TrustStore trust = TrustStore.builder().trust("vendor", key.certificate()).build();
    Path program = dir.resolve("sleeper");
    Files.copy(Path.of("/bin/sleep"), program);
    ImaSigner.fromPem(key.privatePem(), null, ImaHashAlgorithm.SHA384).sign(program, ImaSigner.Storage.SIDECAR);
    Process process = new ProcessBuilder(program.toString(), "60").start();
    try {
      ExecutableFile running = new ExecutableFile(Path.of("/proc/" + process.pid() + "/exe"), program.toString());
      CodeSignature sig = new ImaVerifier().verify(running, VerificationContext.of(trust)).signature();
      assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
      assertEquals("sidecar", sig.attribute("storage").orElseThrow());
    } finally {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
