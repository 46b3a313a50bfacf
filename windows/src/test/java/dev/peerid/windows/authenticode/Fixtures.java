package dev.peerid.windows.authenticode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Real signed PE files for tests: a test PKI made with openssl, programs built with mingw-w64 (PE32+
 * and PE32), signed with osslsigncode. All in one directory, made once per test class.
 */
final class Fixtures {
  /** 2020-07-01T00:00:00Z: inside the expired certificate's validity, used as the TSA time. */
  static final long TSA_TIME = 1593561600L;

  final Path dir;

  private Fixtures(Path dir) {
    this.dir = dir;
  }

  static Fixtures create(Path dir) throws IOException, InterruptedException {
    Tools.require("openssl", "osslsigncode", "x86_64-w64-mingw32-gcc");
    Fixtures f = new Fixtures(dir);
    f.makePki();
    f.write("hello.c", "#include <stdio.h>\nint main(void) { puts(\"hello from peerid\"); return 0; }\n");
    Tools.ok(dir, "x86_64-w64-mingw32-gcc", "-O2", "-s", "-o", "hello.exe", "hello.c");
    return f;
  }

  private void makePki() throws IOException, InterruptedException {
    write("ca.cnf", String.join("\n",
        "[ca]", "default_ca = test_ca",
        "[test_ca]", "database = index.txt", "new_certs_dir = .", "serial = serial", "default_md = sha256",
        "policy = any", "unique_subject = no", "copy_extensions = none",
        "[any]", "commonName = supplied",
        "[root]", "basicConstraints = critical,CA:TRUE", "keyUsage = critical,keyCertSign,cRLSign",
        "subjectKeyIdentifier = hash",
        "[code]", "basicConstraints = CA:FALSE", "keyUsage = critical,digitalSignature",
        "extendedKeyUsage = codeSigning",
        "[server]", "basicConstraints = CA:FALSE", "keyUsage = critical,digitalSignature",
        "extendedKeyUsage = serverAuth",
        "[tsa]", "basicConstraints = CA:FALSE", "keyUsage = critical,digitalSignature",
        "extendedKeyUsage = critical,timeStamping", ""));
    write("index.txt", "");
    write("serial", "1000\n");
    selfSignedCa("ca", "peerid test CA");
    selfSignedCa("other-ca", "peerid other CA");
    issue("leaf", "peerid test signer", "code", null, null);
    issue("server", "peerid server cert", "server", null, null);
    issue("expired", "peerid expired signer", "code", "20200101000000Z", "20210101000000Z");
    issue("tsa", "peerid test TSA", "tsa", "20190101000000Z", "20300101000000Z");
  }

  /** A self-signed CA valid from 2015, so timestamps in the past chain to it (osslsigncode checks the root's dates). */
  private void selfSignedCa(String name, String cn) throws IOException, InterruptedException {
    Tools.ok(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out",
        name + ".csr", "-subj", "/CN=" + cn);
    Tools.ok(dir, "openssl", "ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile", name + ".key",
        "-in", name + ".csr", "-out", name + ".pem", "-extensions", "root", "-notext",
        "-startdate", "20150101000000Z", "-enddate", "20991231000000Z");
  }

  private void issue(String name, String cn, String extensions, String start, String end)
      throws IOException, InterruptedException {
    Tools.ok(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out",
        name + ".csr", "-subj", "/CN=" + cn);
    Tools.ok(dir, "openssl", "ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key",
        "-in", name + ".csr", "-out", name + ".pem", "-extensions", extensions, "-notext",
        "-startdate", start != null ? start : "20200101000000Z", "-enddate", end != null ? end : "20991231000000Z");
  }

  /** Signs {@code in} with the named certificate; extra osslsigncode options go before -in. */
  Path sign(String in, String out, String cert, String hash, String... extra) throws IOException, InterruptedException {
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("osslsigncode", "sign", "-certs",
        cert + ".pem", "-key", cert + ".key", "-h", hash));
    cmd.addAll(java.util.List.of(extra));
    cmd.addAll(java.util.List.of("-in", in, "-out", out));
    Files.deleteIfExists(dir.resolve(out));
    Tools.ok(dir, cmd.toArray(String[]::new));
    return dir.resolve(out);
  }

  /**
   * A PE32 (not PE32+) image: mingw-w64's x86_64 toolchain compiles 32-bit objects and its linker
   * has the i386pe emulation, but ships no default script for it, hence the minimal one.
   */
  Path pe32() throws IOException, InterruptedException {
    write("start.c", "int start(void) { return 42; }\n");
    write("pe32.x", "SECTIONS {\n  .text __image_base__ + 0x1000 : { *(.text) }\n"
        + "  .data : { *(.data) *(.rdata) *(.bss) }\n}\n");
    Tools.ok(dir, "x86_64-w64-mingw32-gcc", "-m32", "-ffreestanding", "-c", "-o", "start32.o", "start.c");
    Tools.ok(dir, "x86_64-w64-mingw32-ld", "-m", "i386pe", "-T", "pe32.x", "-e", "_start", "-o", "hello32.exe",
        "start32.o");
    return dir.resolve("hello32.exe");
  }

  Path copy(Path file, String name) throws IOException {
    return Files.copy(file, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }

  Path path(String name) {
    return dir.resolve(name);
  }

  private void write(String name, String text) throws IOException {
    Files.writeString(dir.resolve(name), text);
  }
}
