package dev.peerid.sample.modular;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Runs the packaged sample as a named module on the module path (nothing on the class path): the
 * peerid modules resolve, the Linux backend is bound as a service, and the peer is identified.
 */
@EnabledOnOs(OS.LINUX)
class ModulePathIT {
  @Test
  void theSampleVerifiesItsPeerOnTheModulePath() throws Exception {
    Path jar = Files.list(Path.of("target"))
        .filter(p -> p.getFileName().toString().matches("peerid-sample-modular-.*(?<!sources|javadoc)\\.jar"))
        .findFirst().orElseThrow();
    String modulePath = jar + java.io.File.pathSeparator
        + Files.readString(Path.of("target", "module-path.txt")).strip();
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(List.of(java.toString(), "--module-path", modulePath,
        // junixsocket's native library is a module no one requires: it is looked up at run time
        "--add-modules", "com.kohlschutter.junixsocket.nativecommon",
        "-m", "dev.peerid.sample.modular/dev.peerid.sample.modular.Main"))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("module=dev.peerid backend=dev.peerid.linux"), out);
    assertTrue(out.contains(" pid=" + p.pid() + " "), "the peer is the sample's own process: " + out);
    assertTrue(out.contains(" executable=" + java.toRealPath() + " "), out);
    assertTrue(out.matches("(?s).*decision=(allow|deny).*"), out);
  }
}
