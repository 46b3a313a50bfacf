package dev.peerid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class InterpretersTest {
  @ParameterizedTest
  @CsvSource({
      "/usr/bin/python3.11, python",
      "/usr/bin/python3, python",
      "/usr/lib/jvm/java-17-openjdk-amd64/bin/java, java",
      "/bin/bash, bash",
      "/usr/bin/dash (deleted), dash",
      "C:\\Program Files\\nodejs\\node.exe, node",
      "/usr/bin/Rscript, rscript",
      "/usr/bin/perl5.36.0, perl",
      "/usr/bin/ruby3.1, ruby",
      "/lib64/ld-linux-x86-64.so.2, ld.so",
      "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2, ld.so",
      "/lib/ld-linux-aarch64.so.1, ld.so",
      "/lib/ld-musl-x86_64.so.1, ld.so",
      "/usr/bin/ld.so, ld.so",
      "/usr/bin/qemu-x86_64, qemu-x86_64",
  })
  void recognisesInterpreters(String path, String name) {
    assertEquals(Optional.of(name), Interpreters.byPath(path));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/usr/bin/curl", "/usr/bin/shred", "/opt/vendor/client", "/usr/bin/javac", "/usr/bin/nodejs-helper", "/usr/lib/libc.so.6", "/usr/bin/ld", "/usr/bin/ldd2", ""})
  void leavesOtherProgramsAlone(String path) {
    assertTrue(Interpreters.byPath(path).isEmpty(), path);
  }
}
