package dev.peerid.macos;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Real signed Mach-O files from the test-scoped Maven Central jars on the classpath. */
final class MachOSamples {
  /** Developer ID Application: Gluon Software BVBA (S7ZR395D8U); JavaFX 21.0.5 mac-aarch64. */
  static final String JAVAFX_GLASS = "libglass.dylib";
  static final String JAVAFX_PRISM_COMMON = "libprism_common.dylib";
  /** Developer ID Application: Eclipse Foundation, Inc. (JCDTMS22B4); SWT 3.128.0 cocoa aarch64. */
  static final String SWT_PI = "libswt-pi-cocoa-4967r8.jnilib";
  /** Ad-hoc, linker-signed, SHA-1 and SHA-256 CodeDirectories; Netty 4.2.18 kqueue osx-aarch_64. */
  static final String NETTY_KQUEUE = "META-INF/native/libnetty_transport_native_kqueue_aarch_64.jnilib";
  /** Ad-hoc, linker-signed; JNA's darwin-aarch64 dispatch library. */
  static final String JNA_DISPATCH = "com/sun/jna/darwin-aarch64/libjnidispatch.jnilib";
  /** Unsigned x86_64 dylib; JNA's darwin-x86-64 dispatch library. */
  static final String JNA_DISPATCH_X86_64 = "com/sun/jna/darwin-x86-64/libjnidispatch.jnilib";

  private MachOSamples() {}

  static byte[] bytes(String resource) throws IOException {
    try (InputStream in = MachOSamples.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is not on the test classpath (test-scoped Maven dependency)");
      }
      return in.readAllBytes();
    }
  }

  static Path copy(String resource, Path dir) throws IOException {
    Path target = dir.resolve(resource.substring(resource.lastIndexOf('/') + 1));
    try (InputStream in = MachOSamples.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is not on the test classpath");
      }
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
    return target;
  }
}
