package dev.peerid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drives the packaged {@code peerid.jar} as a real process against files signed by evmctl. */
class PeeridCliIT {
  private static final Pattern KEY_ID = Pattern.compile("\"keyId\":\"([0-9a-f]{8})\"");

  @TempDir Path dir;
  private Path cert;

  @BeforeEach
  void vendorKey() throws Exception {
    Tools.require("openssl");
    Tools.require("evmctl");
    Tools.ok(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "vendor.key",
        "-out", "vendor.pem", "-days", "30", "-subj", "/CN=peerid test vendor/O=peerid");
    Tools.ok(dir, "openssl", "x509", "-in", "vendor.pem", "-outform", "DER", "-out", "vendor.der");
    cert = dir.resolve("vendor.pem");
  }

  private Path signedCopy(String name, String... evmctlOptions) throws Exception {
    Path file = dir.resolve(name);
    Files.copy(Path.of("/bin/true"), file, StandardCopyOption.REPLACE_EXISTING);
    Tools.evmctlSign(dir, "vendor.key", name, evmctlOptions);
    return file;
  }

  @Test
  void verifyAllowsAFileSignedByEvmctlAndReportsEveryField() throws Exception {
    Path file = signedCopy("client");
    Tools.Result r = Tools.peerid(dir, "verify", "--trust", "vendor=" + cert, "--json", file.toString());
    assertEquals(0, r.status(), r.out() + r.err());
    String line = r.out().strip();
    assertFalse(line.contains("\n"), "one line per file");
    assertTrue(line.contains("\"path\":\"" + file + "\""), line);
    assertTrue(line.contains("\"format\":\"ima\""), line);
    assertTrue(line.contains("\"status\":\"valid\""), line);
    assertTrue(line.contains("\"decision\":\"allow\""), line);
    assertTrue(line.contains("\"trustName\":\"vendor\""), line);
    assertTrue(KEY_ID.matcher(line).find(), line);
    String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    assertTrue(line.contains("\"digest\":{\"algorithm\":\"sha256\",\"hex\":\"" + sha256 + "\"}"), line);
    assertFalse(line.contains("\"pid\""), "verify reports no pid");
  }

  @Test
  void verifyDeniesUnsignedAndSaysWhy() throws Exception {
    Path file = dir.resolve("plain");
    Files.copy(Path.of("/bin/true"), file);
    Tools.Result r = Tools.peerid(dir, "verify", "--trust", cert.toString(), "--json", file.toString());
    assertEquals(1, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("\"status\":\"unsigned\""), r.out());
    assertTrue(r.out().contains("\"decision\":\"deny\""), r.out());
    assertTrue(r.out().matches("(?s).*\"reasons\":\\[\"[^\"]+.*"), "at least one reason: " + r.out());

    Tools.Result text = Tools.peerid(dir, "verify", "--trust", cert.toString(), file.toString());
    assertEquals(1, text.status());
    assertTrue(text.out().startsWith("DENY"), text.out());
    assertTrue(text.out().contains("reason:"), text.out());
  }

  @Test
  void untrustedWithoutTheKeyAndRevokedByKeyId() throws Exception {
    Path file = signedCopy("client");
    Tools.Result untrusted = Tools.peerid(dir, "verify", "--json", file.toString());
    assertEquals(1, untrusted.status(), untrusted.out() + untrusted.err());
    assertTrue(untrusted.out().contains("\"status\":\"untrusted\""), untrusted.out());

    Tools.Result trusted = Tools.peerid(dir, "verify", "--trust", cert.toString(), "--json", file.toString());
    Matcher m = KEY_ID.matcher(trusted.out());
    assertTrue(m.find(), trusted.out());
    Tools.Result revoked = Tools.peerid(dir, "verify", "--trust", cert.toString(), "--revoke", m.group(1), "--json",
        file.toString());
    assertEquals(1, revoked.status(), revoked.out() + revoked.err());
    assertTrue(revoked.out().contains("\"status\":\"revoked\""), revoked.out());

    Tools.Result byFile = Tools.peerid(dir, "verify", "--trust", cert.toString(), "--revoke", cert.toString(),
        "--json", file.toString());
    assertTrue(byFile.out().contains("\"status\":\"revoked\""), byFile.out());
  }

  @Test
  void sidecarSignatureVerifies() throws Exception {
    Path file = signedCopy("client", "--sigfile");
    assertTrue(Files.exists(dir.resolve("client.sig")));
    Tools.Result r = Tools.peerid(dir, "verify", "--trust", cert.toString(), "--json", file.toString());
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("\"status\":\"valid\""), r.out());
  }

  @Test
  void tamperedAndGarbageXattrAreInvalidWithoutStackTraces() throws Exception {
    Path file = signedCopy("client");
    Files.write(file, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
    Tools.Result tampered = Tools.peerid(dir, "verify", "--trust", cert.toString(), "--json", file.toString());
    assertEquals(1, tampered.status());
    assertTrue(tampered.out().contains("\"status\":\"invalid\""), tampered.out());

    Tools.requireRoot("writing a garbage security.ima");
    Path garbage = dir.resolve("garbage");
    Files.copy(Path.of("/bin/true"), garbage);
    Tools.ok(dir, "setfattr", "-n", "security.ima", "-v", "0x0302040000", "garbage");
    Tools.Result r = Tools.peerid(dir, "verify", "--trust", cert.toString(), "--json", garbage.toString());
    assertEquals(1, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("\"status\":\"invalid\""), r.out());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  @Test
  void usageErrorsAndUnreadableInputsExitTwo() throws Exception {
    Tools.Result missing = Tools.peerid(dir, "verify", "--trust", cert.toString(), dir.resolve("nope").toString());
    assertEquals(2, missing.status());
    assertTrue(missing.err().contains("nope"), missing.err());

    Tools.Result badPolicy = Tools.peerid(dir, "verify", "--policy", "signed and sigend", "/bin/true");
    assertEquals(2, badPolicy.status());
    assertTrue(badPolicy.err().contains("1:"), "names the position: " + badPolicy.err());
    assertFalse(badPolicy.err().contains("\tat "), badPolicy.err());

    assertEquals(2, Tools.peerid(dir).status());
    assertEquals(2, Tools.peerid(dir, "frobnicate").status());
    assertEquals(2, Tools.peerid(dir, "verify", "--bogus", "/bin/true").status());
    assertEquals(2, Tools.peerid(dir, "verify").status());
    assertEquals(2, Tools.peerid(dir, "inspect", "notapid").status());
    Tools.Result badTrust = Tools.peerid(dir, "verify", "--trust", dir.resolve("none.pem").toString(), "/bin/true");
    assertEquals(2, badTrust.status());
    assertTrue(badTrust.err().contains("none.pem"), badTrust.err());
  }

  @Test
  void signedByPeeridVerifiesWithEvmctlInBothStorages() throws Exception {
    Tools.requireRoot("peerid sign into security.ima");
    Path xattr = dir.resolve("x");
    Path sidecar = dir.resolve("s");
    Files.copy(Path.of("/bin/true"), xattr);
    Files.copy(Path.of("/bin/true"), sidecar);
    Tools.Result sign = Tools.peerid(dir, "sign", "--key", "vendor.key", "--hash", "sha256", xattr.toString());
    assertEquals(0, sign.status(), sign.out() + sign.err());
    Tools.ok(dir, "evmctl", "ima_verify", "-k", "vendor.der", "x");

    Tools.Result sign2 = Tools.peerid(dir, "sign", "--key", "vendor.key", "--sidecar", sidecar.toString());
    assertEquals(0, sign2.status(), sign2.out() + sign2.err());
    assertTrue(Files.exists(dir.resolve("s.sig")));
    Tools.ok(dir, "evmctl", "ima_verify", "--sigfile", "-k", "vendor.der", "s");

    Tools.Result back = Tools.peerid(dir, "verify", "--trust", cert.toString(), "--json", xattr.toString(),
        sidecar.toString());
    assertEquals(0, back.status(), back.out() + back.err());
    assertEquals(2, back.out().strip().split("\n").length);
  }

  /** Writes one byte of the process's own code back over itself through /proc/PID/mem: the page becomes a copy. */
  static final String TOUCH_CODE_PY = """
      import sys
      pid, exe = sys.argv[1], sys.argv[2]
      for line in open('/proc/%s/maps' % pid):
          f = line.split()
          if len(f) >= 6 and f[1] == 'r-xp' and line.rstrip().endswith(exe):
              end = int(f[0].split('-')[1], 16)
              with open('/proc/%s/mem' % pid, 'r+b', buffering=0) as mem:
                  mem.seek(end - 1)
                  b = mem.read(1)
                  mem.seek(end - 1)
                  mem.write(b)
              print('touched')
              break
      """;

  @Test
  void inspectStrictSeesCodeModifiedInMemory() throws Exception {
    Path sleeper = dir.resolve("sleeper");
    Files.copy(Path.of("/bin/sleep"), sleeper);
    Tools.evmctlSign(dir, "vendor.key", "sleeper");
    Process p = new ProcessBuilder(sleeper.toString(), "60").start();
    try {
      String pid = Long.toString(p.pid());
      Tools.Result clean = Tools.peerid(dir, "inspect", "--strict", "--trust", cert.toString(), "--json", pid);
      assertEquals(0, clean.status(), clean.out() + clean.err());
      Path script = dir.resolve("touch.py");
      Files.writeString(script, TOUCH_CODE_PY);
      assertEquals("touched", Tools.ok(dir, "python3", script.toString(), pid, sleeper.toString()).strip());
      Tools.Result strict = Tools.peerid(dir, "inspect", "--strict", "--trust", cert.toString(), "--json", pid);
      assertEquals(1, strict.status(), strict.out() + strict.err());
      assertTrue(strict.out().contains("modified:" + sleeper), strict.out());
      Tools.Result plain = Tools.peerid(dir, "inspect", "--trust", cert.toString(), "--json", pid);
      assertEquals(0, plain.status(), "without --strict the change is not looked for: " + plain.out());
    } finally {
      p.destroyForcibly();
    }
    assertEquals(2, Tools.peerid(dir, "verify", "--strict", sleeper.toString()).status(), "inspect only");
  }

  @Test
  void inspectDeniesASignedProcessInAUserNamespaceOfItsOwn() throws Exception {
    Tools.require("unshare");
    Path sleeper = dir.resolve("sleeper");
    Files.copy(Path.of("/bin/sleep"), sleeper);
    Tools.evmctlSign(dir, "vendor.key", "sleeper", "--sigfile");
    Process p = new ProcessBuilder("unshare", "-U", "-r", sleeper.toString(), "60").start();
    try {
      Path exe = Path.of("/proc", Long.toString(p.pid()), "exe");
      for (int i = 0; i < 500 && !sleeper.equals(Files.readSymbolicLink(exe)); i++) {
        Thread.sleep(10);
      }
      String pid = Long.toString(p.pid());
      for (String[] strict : new String[][] {{}, {"--strict"}}) {
        List<String> args = new java.util.ArrayList<>(List.of("inspect"));
        args.addAll(List.of(strict));
        args.addAll(List.of("--trust", cert.toString(), "--json", pid));
        Tools.Result r = Tools.peerid(dir, args.toArray(String[]::new));
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("\"decision\":\"deny\"") && r.out().contains("user namespace of its own"), r.out());
      }
      Tools.Result optedIn = Tools.peerid(dir, "inspect", "--trust", cert.toString(), "--policy", "signed and namespaced",
          "--json", pid);
      assertEquals(0, optedIn.status(), optedIn.out() + optedIn.err());
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void inspectIdentifiesARunningSignedProcessByPid() throws Exception {
    Path sleeper = dir.resolve("sleeper");
    Files.copy(Path.of("/bin/sleep"), sleeper);
    Tools.evmctlSign(dir, "vendor.key", "sleeper");
    Process p = new ProcessBuilder(sleeper.toString(), "60").start();
    try {
      Tools.Result r = Tools.peerid(dir, "inspect", "--trust", cert.toString(), "--json", Long.toString(p.pid()));
      assertEquals(0, r.status(), r.out() + r.err());
      assertTrue(r.out().contains("\"pid\":" + p.pid()), r.out());
      assertTrue(r.out().contains("\"status\":\"valid\""), r.out());
      assertTrue(r.out().contains("\"path\":\"" + sleeper + "\""), r.out());

      Tools.Result unsigned = Tools.peerid(dir, "inspect", "--trust", cert.toString(), "--json",
          Long.toString(ProcessHandle.current().pid()));
      assertEquals(1, unsigned.status(), unsigned.out() + unsigned.err());
      assertTrue(unsigned.out().contains("\"decision\":\"deny\""), unsigned.out());
    } finally {
      p.destroyForcibly();
    }
    Tools.Result gone = Tools.peerid(dir, "inspect", "--json", "999999999");
    assertEquals(2, gone.status(), gone.out() + gone.err());
  }
  private static final Path DEBIAN = Path.of("..", "..", "windows", "src", "test", "resources", "dev", "peerid",
      "windows", "authenticode", "debian");

  @Test
  void verifyDetectsAuthenticodeFromTheBytesWithTheSameFields() throws Exception {
    Path efi = DEBIAN.resolve("fbx64.efi.signed").toAbsolutePath();
    Path signer = DEBIAN.resolve("debian-secure-boot-signer-2022-shim.pem").toAbsolutePath();
    Tools.Result trusted = Tools.peerid(dir, "verify", "--trust", "debian=" + signer, "--json", efi.toString());
    assertEquals(0, trusted.status(), trusted.out() + trusted.err());
    String line = trusted.out().strip();
    assertTrue(line.contains("\"format\":\"authenticode\""), line);
    assertTrue(line.contains("\"status\":\"valid\""), line);
    assertTrue(line.contains("\"subject\":\"CN=Debian Secure Boot Signer 2022 - shim\""), line);
    assertTrue(line.matches(".*\"sha256\":\"[0-9a-f]{64}\".*"), line);
    assertTrue(line.contains("\"trustName\":\"debian\""), line);

    Tools.Result untrusted = Tools.peerid(dir, "verify", "--trust", cert.toString(), "--json", efi.toString());
    assertEquals(1, untrusted.status(), untrusted.out() + untrusted.err());
    assertTrue(untrusted.out().contains("\"status\":\"untrusted\""), untrusted.out());

    Path tampered = dir.resolve("tampered.efi");
    byte[] bytes = Files.readAllBytes(efi);
    bytes[0x400] ^= 0x01;
    Files.write(tampered, bytes);
    Tools.Result bad = Tools.peerid(dir, "verify", "--trust", signer.toString(), "--json", tampered.toString());
    assertEquals(1, bad.status(), bad.out() + bad.err());
    assertTrue(bad.out().contains("\"status\":\"invalid\""), bad.out());
  }

  @Test
  void helpOnTheToolAndEachVerbExitsZeroAndListsTheExitStatuses() throws Exception {
    for (String[] args : List.of(new String[] {"--help"}, new String[] {"verify", "--help"},
        new String[] {"inspect", "--help"}, new String[] {"sign", "--help"}, new String[] {"display", "--help"},
        new String[] {"completion", "--help"}, new String[] {"help", "verify"})) {
      Tools.Result r = Tools.peerid(dir, args);
      assertEquals(0, r.status(), String.join(" ", args) + ": " + r.out() + r.err());
      assertTrue(r.out().startsWith("Usage: peerid"), r.out());
    }
    Tools.Result top = Tools.peerid(dir, "--help");
    for (String verb : List.of("verify", "inspect", "sign", "display", "completion")) {
      assertTrue(top.out().contains("  " + verb + " "), verb + " in " + top.out());
    }
    assertTrue(top.out().contains("Exit status:"), top.out());
    Tools.Result verify = Tools.peerid(dir, "verify", "--help");
    for (String option : List.of("--trust", "--revoke", "--policy", "--json")) {
      assertTrue(verify.out().contains(option), option + " in " + verify.out());
    }
    assertTrue(verify.out().matches("(?s).*Exit status:\\s+0\\s+every file allowed\\s+1\\s+.*denied\\s+2\\s+.*"),
        verify.out());
    assertTrue(Tools.peerid(dir, "inspect", "--help").out().contains("--strict"));
    assertTrue(Tools.peerid(dir, "sign", "--help").out().contains("--sidecar"));
  }

  @Test
  void versionNamesTheProjectVersionAndTheJdk() throws Exception {
    Tools.Result r = Tools.peerid(dir, "--version");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().matches("(?s)peerid \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\n.*"), r.out());
    assertTrue(r.out().contains("JDK " + System.getProperty("java.version")), r.out());
    assertEquals(r.out(), Tools.peerid(dir, "verify", "--version").out());
  }

  @Test
  void usageErrorsSayWhatWasWrongAndWhereToLook() throws Exception {
    Tools.Result none = Tools.peerid(dir);
    assertEquals(2, none.status());
    assertTrue(none.err().contains("Usage: peerid"), none.err());
    Tools.Result unknown = Tools.peerid(dir, "frobnicate");
    assertEquals(2, unknown.status());
    assertTrue(unknown.err().contains("unknown command 'frobnicate'"), unknown.err());
    Tools.Result option = Tools.peerid(dir, "verify", "--bogus", "/bin/true");
    assertEquals(2, option.status());
    assertTrue(option.err().contains("Unknown option: '--bogus'"), option.err());
    assertTrue(option.err().contains("peerid verify --help"), option.err());
    Tools.Result missing = Tools.peerid(dir, "verify");
    assertTrue(missing.err().contains("FILE"), missing.err());
    Tools.Result key = Tools.peerid(dir, "sign", "/bin/true");
    assertEquals(2, key.status());
    assertTrue(key.err().contains("--key"), key.err());
    Tools.Result twice = Tools.peerid(dir, "verify", "--policy", "signed", "--policy=signed", "/bin/true");
    assertEquals(2, twice.status());
    assertTrue(twice.err().contains("--policy"), twice.err());
    assertFalse((none.err() + unknown.err() + option.err() + key.err()).contains("\tat "), "no stack traces");
  }

  @Test
  void completionScriptCompletesEveryVerbForBashAndZsh() throws Exception {
    Tools.Result bash = Tools.peerid(dir, "completion");
    assertEquals(0, bash.status(), bash.err());
    assertTrue(bash.out().startsWith("#!/usr/bin/env bash"), bash.out());
    assertTrue(bash.out().contains("complete -F"), "registers a completion function");
    for (String word : List.of("verify", "inspect", "sign", "display", "--trust", "--strict", "--sidecar")) {
      assertTrue(bash.out().contains(word), word);
    }
    Tools.Result zsh = Tools.peerid(dir, "completion", "zsh");
    assertEquals(0, zsh.status(), zsh.err());
    assertTrue(zsh.out().contains("bashcompinit"), "zsh loads it through bashcompinit");
    assertEquals(2, Tools.peerid(dir, "completion", "fish").status());
    Path script = dir.resolve("peerid-completion.bash");
    Files.writeString(script, bash.out());
    String words = Tools.ok(dir, "bash", "-c", "source " + script
        + "; COMP_WORDS=(peerid ver); COMP_CWORD=1; COMP_LINE='peerid ver'; COMP_POINT=10; "
        + "_complete_peerid; echo \"${COMPREPLY[@]}\"").strip();
    assertEquals("verify", words);
  }

  @Test
  void displayShowsTheAuthenticodeSignersCertificateWithoutAVerdict() throws Exception {
    Path efi = DEBIAN.resolve("fbx64.efi.signed").toAbsolutePath();
    Tools.Result r = Tools.peerid(dir, "display", "--json", efi.toString());
    assertEquals(0, r.status(), r.out() + r.err());
    String line = r.out().strip();
    assertTrue(line.contains("\"format\":\"authenticode\""), line);
    assertTrue(line.contains("\"signed\":true"), line);
    assertTrue(line.contains("\"subject\":\"CN=Debian Secure Boot Signer 2022 - shim\""), line);
    assertTrue(line.contains("\"issuer\":\"CN=Debian Secure Boot CA\""), line);
    java.security.cert.X509Certificate leaf;
    try (var in = Files.newInputStream(DEBIAN.resolve("debian-secure-boot-signer-2022-shim.pem"))) {
      leaf = (java.security.cert.X509Certificate)
          java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded()));
    assertTrue(line.contains("\"sha256\":\"" + sha256 + "\""), line);
    assertTrue(line.contains("\"notAfter\":\"" + leaf.getNotAfter().toInstant() + "\""), line);
    assertTrue(line.contains("\"digest\":{\"algorithm\":\"sha256\""), line);
    for (String verdictField : List.of("\"decision\"", "\"status\"", "\"trustName\"", "\"reasons\"")) {
      assertFalse(line.contains(verdictField), "no verdict: " + line);
    }
    Tools.Result text = Tools.peerid(dir, "display", efi.toString());
    assertEquals(0, text.status());
    assertTrue(text.out().contains("sha256: " + sha256), text.out());
    assertFalse(text.out().contains("ALLOW") || text.out().contains("DENY"), text.out());
  }

  @Test
  void displayShowsAnImaSignaturesKeyIdAndAlgorithmAndSaysWhenThereIsNone() throws Exception {
    Path file = signedCopy("client", "--sigfile");
    Tools.Result trusted = Tools.peerid(dir, "verify", "--trust", cert.toString(), "--json", file.toString());
    Matcher m = KEY_ID.matcher(trusted.out());
    assertTrue(m.find(), trusted.out());
    Path plain = dir.resolve("plain");
    Files.copy(Path.of("/bin/true"), plain);
    Tools.Result r = Tools.peerid(dir, "display", "--json", file.toString(), plain.toString());
    assertEquals(1, r.status(), "one of the two carries no signature: " + r.out() + r.err());
    String[] lines = r.out().strip().split("\n");
    assertEquals(2, lines.length, r.out());
    assertTrue(lines[0].contains("\"format\":\"ima\",\"signed\":true"), lines[0]);
    assertTrue(lines[0].contains("\"keyId\":\"" + m.group(1) + "\""), lines[0]);
    assertTrue(lines[0].contains("\"hashAlgorithm\":\"sha256\""), lines[0]);
    assertTrue(lines[1].contains("\"signed\":false"), lines[1]);
    assertEquals(2, Tools.peerid(dir, "display", dir.resolve("nope").toString()).status());
  }

  private static final Path ANCHORS = Path.of("..", "..", "windows", "src", "test", "resources", "dev", "peerid",
      "windows", "authenticode", "anchors");

  /** Microsoft's conpty.dll (npm node-pty 1.1.0): an expired leaf kept valid by an RFC 3161 timestamp. */
  @Test
  void trustTsaMakesATimestampCountWithoutVouchingForPublishers() throws Exception {
    Path dll = dev.peerid.testing.RealFiles.npm(new dev.peerid.testing.RealFiles.Npm("node-pty", "1.1.0",
        "c7517f19083ddcb05f276904680eb2b11a6b5ecab778b8e4e5685a6d645b3f60"),
        "package/prebuilds/win32-x64/conpty/conpty.dll").toAbsolutePath();
    String pca = "microsoft=" + ANCHORS.resolve("microsoft-code-signing-pca-2011-2026.pem").toAbsolutePath();
    String tsa = "ms-tsa=" + ANCHORS.resolve("microsoft-time-stamp-pca-2010-2030.pem").toAbsolutePath();
    Tools.Result both = Tools.peerid(dir, "verify", "--trust", pca, "--trust-tsa", tsa, "--json", dll.toString());
    assertEquals(0, both.status(), both.out() + both.err());
    assertTrue(both.out().contains("\"timestamps\":[{\"signature\":\"signature 1\",\"kind\":\"rfc3161\","
        + "\"time\":\"2025-10-09T02:14:00.845Z\",\"authority\":\"CN=Microsoft Time-Stamp Service,"), both.out());
    assertTrue(both.out().contains("\"counted\":true"), both.out());

    Tools.Result publisherOnly = Tools.peerid(dir, "verify", "--trust", pca, dll.toString());
    assertEquals(1, publisherOnly.status(), publisherOnly.out() + publisherOnly.err());
    assertTrue(publisherOnly.out().contains("ignored: RFC 3161 timestamp ignored: its authority 'CN=Microsoft"
        + " Time-Stamp Service,"), publisherOnly.out());
    assertTrue(publisherOnly.out().contains("is not a trusted timestamp authority (--trust-tsa)"), publisherOnly.out());

    Tools.Result tsaAsPublisher = Tools.peerid(dir, "verify", "--trust", tsa, "--json", dll.toString());
    assertEquals(1, tsaAsPublisher.status(), tsaAsPublisher.out());
    assertTrue(tsaAsPublisher.out().contains("\"counted\":false"), tsaAsPublisher.out());
    assertEquals(2, Tools.peerid(dir, "verify", "--trust-tsa", dir.resolve("none.pem").toString(), dll.toString())
        .status());
  }

  /** sentry-cli (npm @sentry/cli-darwin 3.8.0): universal, its two slices signed with different identifiers. */
  @Test
  void archJudgesOneSliceOfAUniversalFile() throws Exception {
    Path cli = dev.peerid.testing.RealFiles.npm(new dev.peerid.testing.RealFiles.Npm("@sentry/cli-darwin", "3.8.0",
        "711d8d61e448b2e8a10c217acbfe206db7456e0072f041136e3bf7935fdf5cfa"), "package/bin/sentry-cli").toAbsolutePath();
    String team = "anchor apple generic and team = \"97JCY7859U\"";
    Tools.Result file = Tools.peerid(dir, "verify", "--policy", team, "--json", cli.toString());
    assertEquals(0, file.status(), file.out() + file.err());
    assertTrue(file.out().contains("\"slices\":[{\"arch\":\"x86_64\",\"identifier\":\"sentry-cli-Darwin-universal\","
        + "\"team\":\"97JCY7859U\",\"status\":\"untrusted\""), file.out());
    String arm = team + " and identifier = \"sentry_cli-ed605fe0983d3ac0\"";
    assertEquals(1, Tools.peerid(dir, "verify", "--policy", arm, cli.toString()).status(), "not the x86_64 slice's");
    Tools.Result armOnly = Tools.peerid(dir, "verify", "--arch", "arm64", "--policy", arm, cli.toString());
    assertEquals(0, armOnly.status(), armOnly.out() + armOnly.err());
    Tools.Result text = Tools.peerid(dir, "verify", "--policy", team, cli.toString());
    assertTrue(text.out().contains("  slice arm64: untrusted, identifier sentry_cli-ed605fe0983d3ac0, team 97JCY7859U"),
        text.out());
    assertEquals(2, Tools.peerid(dir, "inspect", "--arch", "arm64", "1").status(), "--arch is for verify");
  }
}
