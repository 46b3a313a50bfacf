package dev.peerid.macos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hash types and blobs no real sample here carries (SHA-384, SHA-256/20, ad-hoc entitlements),
 * over the code of a real JNA library re-signed ad-hoc by {@link AdhocResigner}.
 */
class AdhocResignedTest {
  static final String ENTITLEMENTS = """
      <?xml version="1.0" encoding="UTF-8"?>
      <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
      <plist version="1.0">
      <dict>
      \t<key>com.apple.security.get-task-allow</key>
      \t<true/>
      \t<key>com.apple.security.app-sandbox</key>
      \t<false/>
      \t<key>com.apple.security.application-groups</key>
      \t<array><string>group.vendor</string></array>
      \t<key>nested</key>
      \t<dict><key>com.apple.security.cs.disable-library-validation</key><true/></dict>
      \t<key>com.apple.security.cs.allow-jit</key>
      \t<true/>
      </dict>
      </plist>
      """;

  @TempDir Path tmp;

  private CodeSignature verify(byte[] bytes) throws Exception {
    Path file = Files.write(Files.createTempFile(tmp, "resigned", ".dylib"), bytes);
    return new MachOVerifier().verify(ExecutableFile.of(file), VerificationContext.of(TrustStore.empty())).signature();
  }

  private static byte[] jna() throws Exception {
    return MachOSamples.bytes(MachOSamples.JNA_DISPATCH);
  }

  @Test
  void entitlementsWhoseValueIsTrueAreReportedAtTopLevelOnly() throws Exception {
    byte[] signed = AdhocResigner.sign(jna(), "com.vendor.client", ENTITLEMENTS.getBytes(StandardCharsets.UTF_8),
        CodeDirectory.FLAG_ADHOC | CodeDirectory.FLAG_RUNTIME, List.of(HashType.SHA256));
    CodeSignature sig = verify(signed);
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
    assertEquals("com.apple.security.get-task-allow\ncom.apple.security.cs.allow-jit",
        sig.attribute("entitlements").orElseThrow());
    assertEquals("true", sig.attribute("hardenedRuntime").orElseThrow());
    assertEquals("com.vendor.client", sig.attribute("identifier").orElseThrow());
  }

  @Test
  void aTamperedEntitlementsBlobIsInvalid() throws Exception {
    byte[] signed = AdhocResigner.sign(jna(), "com.vendor.client", ENTITLEMENTS.getBytes(StandardCharsets.UTF_8),
        CodeDirectory.FLAG_ADHOC, List.of(HashType.SHA256));
    int entitlements = Tamper.blobOffset(signed, Tamper.thin(signed), SuperBlob.SLOT_ENTITLEMENTS);
    // app-sandbox <false/> becomes <fals_/>: still well-formed bytes, no longer the signed blob
    byte[] tampered = signed.clone();
    String xml = new String(tampered, entitlements + 8, ENTITLEMENTS.length(), StandardCharsets.UTF_8);
    int at = entitlements + 8 + xml.indexOf("<false/>") + 5;
    tampered[at] = '_';
    CodeSignature sig = verify(tampered);
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("entitlements blob does not match"), sig.reasons().toString());
  }

  @Test
  void sha384AndSha256TruncatedCodeDirectoriesAreVerified() throws Exception {
    byte[] signed = AdhocResigner.sign(jna(), "x", null, CodeDirectory.FLAG_ADHOC,
        List.of(HashType.SHA1, HashType.SHA256_TRUNCATED, HashType.SHA384));
    CodeSignature sig = verify(signed);
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
    assertEquals("sha1,sha256/20,sha384", sig.attribute("codeDirectories").orElseThrow());
    // the cdhash names the strongest CodeDirectory: SHA-384 of its blob, cut to 20 bytes
    byte[] cd384 = Tamper.blobs(signed, Tamper.thin(signed)).get(SuperBlob.SLOT_ALTERNATE_CODE_DIRECTORIES + 1);
    assertEquals(HexFormat.of().formatHex(Arrays.copyOf(MessageDigest.getInstance("SHA-384").digest(cd384), 20)),
        sig.attribute("cdhash").orElseThrow());
    assertEquals("SHA-384", sig.digest().orElseThrow().algorithm());

    byte[] lastPage = Tamper.flip(signed, Tamper.thin(signed).signatureOffset() - 1);
    assertEquals(SignatureStatus.INVALID, verify(lastPage).status());
  }

  @Test
  void eachCodeDirectoryIsCheckedOnItsOwn() throws Exception {
    byte[] signed = AdhocResigner.sign(jna(), "x", null, CodeDirectory.FLAG_ADHOC,
        List.of(HashType.SHA256, HashType.SHA384));
    MachOSlice slice = Tamper.thin(signed);
    int cd384 = Tamper.blobOffset(signed, slice, SuperBlob.SLOT_ALTERNATE_CODE_DIRECTORIES);
    // corrupt only the SHA-384 hash of page 3: the SHA-256 CodeDirectory alone would pass
    int hashOffset = java.nio.ByteBuffer.wrap(signed).getInt(cd384 + 16);
    CodeSignature sig = verify(Tamper.flip(signed, cd384 + hashOffset + 3 * 48));
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("code page 3") && sig.reasons().get(0).contains("sha384"),
        sig.reasons().toString());
  }

  @Test
  void aBoundInfoPlistOutsideTheBinaryIsReportedAsUnverified() throws Exception {
    byte[] signed = AdhocResigner.sign(jna(), "x", null, "<plist/>".getBytes(StandardCharsets.UTF_8),
        CodeDirectory.FLAG_ADHOC, List.of(HashType.SHA256));
    CodeSignature sig = verify(signed);
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
    assertEquals("Info.plist", sig.attribute("unverifiedSlots").orElseThrow());
    CodeSignature plain = verify(AdhocResigner.sign(jna(), "x", null, CodeDirectory.FLAG_ADHOC, List.of(HashType.SHA256)));
    assertTrue(plain.attribute("unverifiedSlots").isEmpty());
  }

  @Test
  void twoCodeDirectoriesOfOneHashTypeAreInvalid() throws Exception {
    byte[] signed = AdhocResigner.sign(jna(), "x", null, CodeDirectory.FLAG_ADHOC,
        List.of(HashType.SHA256, HashType.SHA256));
    CodeSignature sig = verify(signed);
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("two CodeDirectories use sha256"), sig.reasons().toString());
  }
}
