package dev.peerid.macos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.SignatureStatus;
import dev.peerid.Signer;
import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The verifier on real signed Mach-O files from Maven Central, intact and tampered. */
class MachOVerifierTest {
  @TempDir Path tmp;

  private CodeSignature verify(byte[] bytes, TrustStore trust) throws Exception {
    Path file = Files.write(Files.createTempFile(tmp, "macho", ".bin"), bytes);
    return new MachOVerifier().verify(ExecutableFile.of(file), VerificationContext.of(trust)).signature();
  }

  private CodeSignature verify(byte[] bytes) throws Exception {
    return verify(bytes, TrustStore.empty());
  }

  private static void assertInvalid(CodeSignature sig, String reasonPart) {
    assertEquals(SignatureStatus.INVALID, sig.status(), sig.toString());
    assertTrue(sig.reasons().stream().anyMatch(r -> r.contains(reasonPart)),
        "expected a reason containing '" + reasonPart + "': " + sig.reasons());
    assertFalse(sig.attribute("appleAnchor").isPresent(), "an invalid signature must not claim an anchor");
  }

  @Test
  void developerIdJavaFxVerifiesAndChainsToApple() throws Exception {
    CodeSignature sig = verify(MachOSamples.bytes(MachOSamples.JAVAFX_GLASS));
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
    assertTrue(sig.reasons().get(0).contains("no trust-store entry"), sig.reasons().toString());
    assertEquals("apple-generic", sig.attribute("appleAnchor").orElseThrow());
    Signer signer = sig.signer().orElseThrow();
    assertEquals("S7ZR395D8U", signer.teamId().orElseThrow());
    assertEquals("org.openjfx.libglass", signer.identifier().orElseThrow());
    assertEquals(3, signer.chain().size(), "leaf, Developer ID CA, Apple Root CA");
    assertTrue(signer.chain().get(2).getSubjectX500Principal().getName().contains("CN=Apple Root CA"));
    assertEquals("true", sig.attribute("hardenedRuntime").orElseThrow());
    assertEquals("false", sig.attribute("adhoc").orElseThrow());
    assertEquals("false", sig.attribute("linkerSigned").orElseThrow());
    assertEquals("0x10000", sig.attribute("flags").orElseThrow());
    assertEquals("", sig.attribute("entitlements").orElseThrow());
    // the cdhash is the one the CMS cdhashes attribute (1.2.840.113635.100.9.2) carries for this file
    assertEquals("8e18254d00a41b209ca090a342a69eb0cd895ce0", sig.attribute("cdhash").orElseThrow());
    assertEquals("SHA-256", sig.digest().orElseThrow().algorithm());
  }

  @Test
  void developerIdSwtVerifiesWithTheEclipseTeam() throws Exception {
    CodeSignature sig = verify(MachOSamples.bytes(MachOSamples.SWT_PI));
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
    assertEquals("apple-generic", sig.attribute("appleAnchor").orElseThrow());
    assertEquals("JCDTMS22B4", sig.signer().flatMap(Signer::teamId).orElseThrow());
    assertEquals("JCDTMS22B4", sig.attribute("teamId").orElseThrow());
  }

  @ParameterizedTest
  @ValueSource(strings = {MachOSamples.JAVAFX_GLASS, MachOSamples.SWT_PI})
  void everyNativeLibraryInTheSignedJarsVerifies(String oneOfThem) throws Exception {
    java.net.URL url = MachOVerifierTest.class.getClassLoader().getResource(oneOfThem);
    String jar = url.getPath().substring("file:".length(), url.getPath().indexOf("!/"));
    int checked = 0;
    try (java.util.jar.JarFile jf = new java.util.jar.JarFile(java.net.URLDecoder.decode(jar,
        java.nio.charset.StandardCharsets.UTF_8))) {
      for (java.util.jar.JarEntry e : java.util.Collections.list(jf.entries())) {
        if (e.getName().endsWith(".dylib") || e.getName().endsWith(".jnilib")) {
          byte[] bytes;
          try (var in = jf.getInputStream(e)) {
            bytes = in.readAllBytes();
          }
          CodeSignature sig = verify(bytes);
          assertEquals(SignatureStatus.UNTRUSTED, sig.status(), e.getName() + ": " + sig);
          assertEquals("apple-generic", sig.attribute("appleAnchor").orElseThrow(), e.getName());
          assertEquals("true", sig.attribute("hardenedRuntime").orElseThrow(), e.getName());
          assertInvalid(verify(Tamper.codePage(bytes, Tamper.thin(bytes))), "does not match");
          checked++;
        }
      }
    }
    assertTrue(checked >= 3, "only " + checked + " native libraries in " + jar);
  }

  @Test
  void trustingAppleRootMakesDeveloperIdValid() throws Exception {
    TrustStore trust = TrustStore.builder().trust("apple", AppleRoots.all().get(0)).build();
    CodeSignature sig = verify(MachOSamples.bytes(MachOSamples.JAVAFX_GLASS), trust);
    assertEquals(SignatureStatus.VALID, sig.status(), sig.toString());
    assertEquals("apple", sig.signer().flatMap(Signer::trustName).orElseThrow());
  }

  @Test
  void aPinnedLeafTrustsOnlyItsOwnSigner() throws Exception {
    X509Certificate eclipse = verify(MachOSamples.bytes(MachOSamples.SWT_PI)).signer().orElseThrow().certificate()
        .orElseThrow();
    TrustStore trust = TrustStore.builder().trust("eclipse", eclipse).build();
    CodeSignature swt = verify(MachOSamples.bytes(MachOSamples.SWT_PI), trust);
    assertEquals(SignatureStatus.VALID, swt.status(), swt.toString());
    assertEquals("eclipse", swt.signer().flatMap(Signer::trustName).orElseThrow());
    CodeSignature javafx = verify(MachOSamples.bytes(MachOSamples.JAVAFX_GLASS), trust);
    assertEquals(SignatureStatus.UNTRUSTED, javafx.status(), javafx.toString());
  }

  @Test
  void aRevokedLeafIsRevokedEvenWhenTheRootIsTrusted() throws Exception {
    X509Certificate gluon = verify(MachOSamples.bytes(MachOSamples.JAVAFX_GLASS)).signer().orElseThrow().certificate()
        .orElseThrow();
    TrustStore trust = TrustStore.builder().trust("apple", AppleRoots.all().get(0)).revoke(gluon).build();
    CodeSignature sig = verify(MachOSamples.bytes(MachOSamples.JAVAFX_GLASS), trust);
    assertEquals(SignatureStatus.REVOKED, sig.status(), sig.toString());
    assertTrue(sig.reasons().get(0).contains("Gluon"), sig.reasons().toString());
  }

  @Test
  void adhocNettyChecksBothCodeDirectories() throws Exception {
    CodeSignature sig = verify(MachOSamples.bytes(MachOSamples.NETTY_KQUEUE));
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
    assertEquals("ad-hoc signature: no signer", sig.reasons().get(0));
    assertEquals("sha1,sha256", sig.attribute("codeDirectories").orElseThrow());
    assertEquals("true", sig.attribute("adhoc").orElseThrow());
    assertEquals("true", sig.attribute("linkerSigned").orElseThrow());
    assertEquals("false", sig.attribute("hardenedRuntime").orElseThrow());
    assertFalse(sig.attribute("appleAnchor").isPresent());
    assertTrue(sig.signer().isEmpty());
  }

  @Test
  void adhocJnaIsNeverTrustedEvenWithATrustStore() throws Exception {
    TrustStore trust = TrustStore.builder().trust("apple", AppleRoots.all().get(0)).build();
    CodeSignature sig = verify(MachOSamples.bytes(MachOSamples.JNA_DISPATCH), trust);
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
    assertEquals("ad-hoc signature: no signer", sig.reasons().get(0));
    assertEquals("libjnidispatch.jnilib", sig.attribute("identifier").orElseThrow());
  }

  @ParameterizedTest
  @ValueSource(strings = {MachOSamples.JAVAFX_GLASS, MachOSamples.SWT_PI, MachOSamples.NETTY_KQUEUE,
      MachOSamples.JNA_DISPATCH})
  void aTamperedCodePageIsInvalid(String resource) throws Exception {
    byte[] file = MachOSamples.bytes(resource);
    assertInvalid(verify(Tamper.codePage(file, Tamper.thin(file))), "does not match");
  }

  @ParameterizedTest
  @ValueSource(strings = {MachOSamples.JAVAFX_GLASS, MachOSamples.SWT_PI})
  void aTamperedRequirementsBlobIsInvalid(String resource) throws Exception {
    byte[] file = MachOSamples.bytes(resource);
    int requirements = Tamper.blobOffset(file, Tamper.thin(file), SuperBlob.SLOT_REQUIREMENTS);
    assertInvalid(verify(Tamper.flip(file, requirements + 20)), "requirements blob does not match");
  }

  @ParameterizedTest
  @ValueSource(strings = {MachOSamples.NETTY_KQUEUE, MachOSamples.JNA_DISPATCH})
  void anAdhocCodeDirectoryBindingMissingSpecialSlotsIsInvalid(String resource) throws Exception {
    byte[] file = MachOSamples.bytes(resource);
    CodeSignature sig = verify(Tamper.specialSlots(file, Tamper.thin(file), 2));
    assertEquals(SignatureStatus.INVALID, sig.status(), sig.toString());
  }

  @Test
  void anUnboundEntitlementsBlobIsInvalid() throws Exception {
    byte[] file = MachOSamples.bytes(MachOSamples.SWT_PI);
    MachOSlice slice = Tamper.thin(file);
    Map<Integer, byte[]> blobs = Tamper.blobs(file, slice);
    byte[] plist = ("<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>com.apple.security.get-task-allow</key>"
        + "<true/></dict></plist>").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.nio.ByteBuffer blob = java.nio.ByteBuffer.allocate(8 + plist.length);
    blob.putInt(SuperBlob.ENTITLEMENTS_MAGIC).putInt(8 + plist.length).put(plist);
    java.util.LinkedHashMap<Integer, byte[]> withEntitlements = new java.util.LinkedHashMap<>();
    blobs.forEach((slot, b) -> {
      withEntitlements.put(slot, b);
      if (slot == SuperBlob.SLOT_REQUIREMENTS) {
        withEntitlements.put(SuperBlob.SLOT_ENTITLEMENTS, blob.array());
      }
    });
    assertInvalid(verify(Tamper.withBlobs(file, slice, withEntitlements)), "entitlements blob is not bound");
  }

  @Test
  void aCmsSignatureFromAnotherFileIsInvalid() throws Exception {
    byte[] glass = MachOSamples.bytes(MachOSamples.JAVAFX_GLASS);
    byte[] swt = MachOSamples.bytes(MachOSamples.SWT_PI);
    MachOSlice glassSlice = Tamper.thin(glass);
    MachOSlice swtSlice = Tamper.thin(swt);
    Map<Integer, byte[]> swtBlobs = Tamper.blobs(swt, swtSlice);
    swtBlobs.put(SuperBlob.SLOT_SIGNATURE, Tamper.blobs(glass, glassSlice).get(SuperBlob.SLOT_SIGNATURE));
    assertInvalid(verify(Tamper.withBlobs(swt, swtSlice, swtBlobs)), "CMS signature does not verify");

    // and the same signer's CMS over a sibling library (same team, same certificate)
    byte[] prism = MachOSamples.bytes(MachOSamples.JAVAFX_PRISM_COMMON);
    Map<Integer, byte[]> glassBlobs = Tamper.blobs(glass, glassSlice);
    glassBlobs.put(SuperBlob.SLOT_SIGNATURE, Tamper.blobs(prism, Tamper.thin(prism)).get(SuperBlob.SLOT_SIGNATURE));
    assertInvalid(verify(Tamper.withBlobs(glass, glassSlice, glassBlobs)), "CMS signature does not verify");
  }

  @Test
  void aTamperedCodeDirectoryBreaksTheCms() throws Exception {
    byte[] glass = MachOSamples.bytes(MachOSamples.JAVAFX_GLASS);
    int cd = Tamper.blobOffset(glass, Tamper.thin(glass), SuperBlob.SLOT_CODE_DIRECTORY);
    // flip a byte of the identifier: the CodeDirectory still parses, its CMS no longer matches
    assertInvalid(verify(Tamper.flip(glass, cd + 0x60 + 2)), "CMS");
  }

  @Test
  void strippingTheCmsFromADeveloperIdSignatureIsInvalid() throws Exception {
    byte[] glass = MachOSamples.bytes(MachOSamples.JAVAFX_GLASS);
    MachOSlice slice = Tamper.thin(glass);
    Map<Integer, byte[]> blobs = Tamper.blobs(glass, slice);
    blobs.remove(SuperBlob.SLOT_SIGNATURE);
    assertInvalid(verify(Tamper.withBlobs(glass, slice, blobs)), "not marked ad-hoc");
  }

  @Test
  void removingAnAlternateCodeDirectoryIsNoticedOnlyWhereACmsBindsIt() throws Exception {
    // ad-hoc: nothing binds the alternates, so dropping one is as good as re-signing (still untrusted)
    byte[] netty = MachOSamples.bytes(MachOSamples.NETTY_KQUEUE);
    MachOSlice slice = Tamper.thin(netty);
    Map<Integer, byte[]> blobs = Tamper.blobs(netty, slice);
    blobs.remove(SuperBlob.SLOT_ALTERNATE_CODE_DIRECTORIES);
    CodeSignature sig = verify(Tamper.withBlobs(netty, slice, blobs));
    assertEquals(SignatureStatus.UNTRUSTED, sig.status());
    assertEquals("sha1", sig.attribute("codeDirectories").orElseThrow());
  }

  @Test
  void goLinkerSignedDarwinBinaryIsAdhocAndTamperingIsCaught() throws Exception {
    Path bin = GoDarwinBuild.build(tmp, "package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"peerid\") }\n");
    byte[] file = Files.readAllBytes(bin);
    CodeSignature sig = verify(file);
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
    assertEquals("ad-hoc signature: no signer", sig.reasons().get(0));
    assertEquals("true", sig.attribute("linkerSigned").orElseThrow());
    assertEquals("true", sig.attribute("adhoc").orElseThrow());
    MachOSlice slice = Tamper.thin(file);
    assertInvalid(verify(Tamper.codePage(file, slice)), "does not match");
    assertInvalid(verify(Tamper.flip(file, 100)), "code page 0");
    assertEquals(SignatureStatus.INVALID, verify(Tamper.specialSlots(file, slice, 2)).status());
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void universalBinaryReportsEverySliceAndIsAsGoodAsItsWorst(boolean fat64) throws Exception {
    byte[] arm64 = MachOSamples.bytes(MachOSamples.NETTY_KQUEUE);
    // JNA ships its darwin x86-64 library unsigned
    byte[] x86 = MachOSamples.bytes(MachOSamples.JNA_DISPATCH_X86_64);
    assertEquals(SignatureStatus.UNSIGNED, verify(x86).status());

    byte[] fat = Tamper.fat(fat64, arm64, x86);
    CodeSignature oneUnsigned = verify(fat);
    assertEquals(SignatureStatus.UNSIGNED, oneUnsigned.status(), oneUnsigned.toString());
    assertEquals("x86_64: slice x86_64 has no code signature", oneUnsigned.reasons().get(0));
    assertTrue(oneUnsigned.attribute("slices").orElseThrow().matches("arm64:untrusted:[0-9a-f]{40},x86_64:unsigned:-"),
        oneUnsigned.attribute("slices").orElseThrow());

    MachOSlice armSlice = MachOParser.parse(ByteSource.of(fat)).get(0);
    assertEquals(1 << 14, armSlice.offset());
    assertInvalid(verify(Tamper.codePage(fat, armSlice)), "arm64: code page");
    int alternateCd = Tamper.blobOffset(fat, armSlice, SuperBlob.SLOT_ALTERNATE_CODE_DIRECTORIES);
    assertInvalid(verify(Tamper.flip(fat, alternateCd + 200)), "arm64: ");

    // stripping the signature of the arm64 slice leaves a binary with no signed slice at all
    CodeSignature noneSigned = verify(Tamper.fat(fat64, Tamper.unsign(arm64), x86));
    assertEquals(SignatureStatus.UNSIGNED, noneSigned.status());
    assertEquals(2, noneSigned.reasons().size());
  }

  @Test
  void universalBinaryWhoseSlicesNameDifferentSignersClaimsOnlyWhatEverySliceDoes() throws Exception {
    CodeSignature sig = verify(Tamper.fat(false, MachOSamples.bytes(MachOSamples.JAVAFX_GLASS),
        MachOSamples.bytes(MachOSamples.NETTY_KQUEUE)));
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
    assertEquals(2, sig.slices().size());
    assertEquals("S7ZR395D8U", sig.slices().get(0).signature().attribute("teamId").orElseThrow());
    assertEquals("apple-generic", sig.slices().get(0).signature().attribute("appleAnchor").orElseThrow());
    assertEquals("true", sig.slices().get(1).signature().attribute("adhoc").orElseThrow());
    assertFalse(sig.attribute("teamId").isPresent(), "the ad-hoc slice has no team");
    assertFalse(sig.attribute("appleAnchor").isPresent(), "the ad-hoc slice does not chain to Apple");
    assertFalse(sig.attribute("identifier").isPresent(), "the slices name different identifiers");
    assertEquals("true", sig.attribute("adhoc").orElseThrow());
  }

  @Test
  void aFileOverTheSizeLimitIsNotHashed() throws Exception {
    Path file = Files.write(tmp.resolve("big"), MachOSamples.bytes(MachOSamples.JNA_DISPATCH));
    VerifiedExecutable v = new MachOVerifier().verify(ExecutableFile.of(file),
        new VerificationContext(TrustStore.empty(), 1000, false));
    assertEquals(SignatureStatus.INVALID, v.signature().status());
    assertTrue(v.signature().reasons().get(0).contains("larger than the limit"));
  }

  @Test
  void sha256OfTheWholeFileWhenAskedFor() throws Exception {
    byte[] bytes = MachOSamples.bytes(MachOSamples.JNA_DISPATCH);
    Path file = Files.write(tmp.resolve("jna"), bytes);
    VerifiedExecutable v = new MachOVerifier().verify(ExecutableFile.of(file),
        new VerificationContext(TrustStore.empty(), 1L << 30, true));
    assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes)),
        v.sha256().orElseThrow().hex());
  }

  @Test
  void foundByServiceLoaderAndRecognizesMachONotJavaClasses() throws Exception {
    ExecutableVerifier verifier = ServiceLoader.load(ExecutableVerifier.class).stream().map(ServiceLoader.Provider::get)
        .filter(v -> v instanceof MachOVerifier).findFirst().orElseThrow();
    assertTrue(verifier.recognizes(java.util.Arrays.copyOf(MachOSamples.bytes(MachOSamples.JNA_DISPATCH), 4096)));
    assertTrue(verifier.recognizes(java.util.Arrays.copyOf(Tamper.fat(true,
        MachOSamples.bytes(MachOSamples.JNA_DISPATCH)), 4096)));
    byte[] classFile;
    try (var in = MachOVerifierTest.class.getResourceAsStream("MachOVerifierTest.class")) {
      classFile = in.readAllBytes();
    }
    assertEquals(0xcafebabe, java.nio.ByteBuffer.wrap(classFile).getInt());
    assertFalse(verifier.recognizes(classFile), "a Java class file is not a universal binary");
    assertFalse(verifier.recognizes(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0}));
  }

  @Test
  void malformedInputGivesInvalidWithAReason() throws Exception {
    byte[] file = MachOSamples.bytes(MachOSamples.JNA_DISPATCH);
    assertInvalid(verify(java.util.Arrays.copyOf(file, 20)), "malformed Mach-O");
    byte[] hugeCommands = file.clone();
    java.nio.ByteBuffer.wrap(hugeCommands).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(20, Integer.MAX_VALUE);
    assertInvalid(verify(hugeCommands), "sizeofcmds");
    MachOSlice slice = Tamper.thin(file);
    byte[] superBlobCount = file.clone();
    java.nio.ByteBuffer.wrap(superBlobCount).putInt((int) slice.signatureOffset() + 8, 0x7fffffff);
    assertInvalid(verify(superBlobCount), "SuperBlob count");
    assertInvalid(verify(Tamper.fat(false)), "nfat_arch");
  }
}
