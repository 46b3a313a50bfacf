package dev.peerid.macos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.peerid.CodeSignature;
import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.Verdict;
import dev.peerid.Platform;
import dev.peerid.SignatureStatus;
import dev.peerid.Signer;
import dev.peerid.TrustStore;
import dev.peerid.spi.PeerBackend;
import dev.peerid.spi.PeerProcess;
import dev.peerid.spi.VerificationContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The macOS backend against mocks of its native boundaries (libc, Security.framework,
 * CoreFoundation): we cannot run macOS here. Every test also checks that each CoreFoundation object
 * created or handed over was released exactly once.
 */
class MacPeerBackendTest {
  static final int FD = 9;
  static final int PID = 4242;
  static final int UID = 501;
  static final int GID = 20;

  LibC libc = mock(LibC.class);
  Security security = mock(Security.class);
  CoreFoundationApi cf = mock(CoreFoundationApi.class);

  final AtomicLong addresses = new AtomicLong(0x1000);
  final Map<Long, String> live = new HashMap<>();
  final List<String> doubleReleases = new ArrayList<>();
  /** The pidversion LOCAL_PEERTOKEN reports at each read, in turn (the last one repeats). */
  final List<Integer> pidVersions = new ArrayList<>(List.of(77));
  int tokenReads;
  long startSeconds = 1_700_000_000L;
  int csFlags = SecCodeCheck.CS_VALID | CodeDirectory.FLAG_RUNTIME;
  int validity;
  List<X509Certificate> certificates;
  final Map<String, Pointer> info = new HashMap<>();
  /** What Security.framework's entitlements-dict holds; whether it is a dictionary at all. */
  List<String> securityEntitlements = List.of("com.apple.security.cs.allow-jit");
  boolean entitlementsIsDictionary = true;
  /** The blob the kernel holds (magic, length, plist), null for none; errno to fail csops with, or 0. */
  byte[] kernelBlob = entitlementsBlob("com.apple.security.cs.allow-jit");
  int kernelErrno;
  /** The DER blob the kernel holds (the XML op is asked first), null for none; errno for the DER op. */
  byte[] kernelDerBlob;
  int kernelDerErrno;
  final List<Long> kernelBufferSizes = new ArrayList<>();

  static byte[] entitlementsBlob(String... trueKeys) {
    StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>");
    for (String key : trueKeys) {
      xml.append("<key>").append(key).append("</key><true/>");
    }
    xml.append("<key>com.apple.security.application-groups</key><array><string>g</string></array>");
    byte[] plist = xml.append("</dict></plist>").toString().getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + plist.length).putInt(SuperBlob.ENTITLEMENTS_MAGIC).putInt(8 + plist.length)
        .put(plist).array();
  }

  /** xnu csops_copy_token: ERANGE under 8 bytes; none: nothing written; too short: the length and ERANGE. */
  int kernelEntitlements(byte[] out, long size) {
    kernelBufferSizes.add(size);
    return copyToken(kernelBlob, kernelErrno, out, size);
  }

  static int copyToken(byte[] blob, int errno, byte[] out, long size) {
    assertEquals(out.length, size, "the size passed is the buffer's");
    if (errno != 0) {
      throw new com.sun.jna.LastErrorException(errno);
    }
    if (size < 8) {
      throw new com.sun.jna.LastErrorException(LibC.ERANGE);
    }
    if (blob == null) {
      return 0;
    }
    if (size < blob.length) {
      ByteBuffer.wrap(out).putInt(0, 0).putInt(4, blob.length);
      throw new com.sun.jna.LastErrorException(LibC.ERANGE);
    }
    System.arraycopy(blob, 0, out, 0, blob.length);
    return 0;
  }

  Pointer owned(String what) {
    Pointer p = new Pointer(addresses.addAndGet(16));
    live.put(Pointer.nativeValue(p), what);
    return p;
  }

  @BeforeEach
  void natives() throws Exception {
    certificates = new MachOVerifier().verify(dev.peerid.spi.ExecutableFile.of(java.nio.file.Files.write(
        java.nio.file.Files.createTempFile("glass", ".dylib"), MachOSamples.bytes(MachOSamples.JAVAFX_GLASS))),
        VerificationContext.of(TrustStore.empty())).signature().signer().orElseThrow().chain().subList(0, 2);

    doAnswer(inv -> {
      int option = inv.getArgument(2);
      byte[] out = inv.getArgument(3);
      IntByReference length = inv.getArgument(4);
      ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
      switch (option) {
        case LibC.LOCAL_PEERTOKEN -> {
          int version = pidVersions.get(Math.min(tokenReads++, pidVersions.size() - 1));
          b.putInt(4, UID).putInt(8, GID).putInt(12, UID).putInt(16, GID).putInt(20, PID).putInt(24, 100007)
              .putInt(28, version);
          length.setValue(32);
        }
        case LibC.LOCAL_PEERCRED -> {
          b.putInt(0, 0).putInt(4, UID).putShort(8, (short) 2).putInt(12, GID).putInt(16, 12);
          length.setValue(PeerSocket.XUCRED_SIZE);
        }
        case LibC.LOCAL_PEERPID -> {
          b.putInt(0, PID);
          length.setValue(4);
        }
        default -> throw new AssertionError("unexpected option " + option);
      }
      return 0;
    }).when(libc).getsockopt(eq(FD), eq(LibC.SOL_LOCAL), anyInt(), any(byte[].class), any(IntByReference.class));
    doAnswer(inv -> {
      byte[] path = "/Applications/Client.app/Contents/MacOS/client".getBytes(StandardCharsets.UTF_8);
      System.arraycopy(path, 0, (byte[]) inv.getArgument(1), 0, path.length);
      return path.length;
    }).when(libc).proc_pidpath(eq(PID), any(byte[].class), anyInt());
    doAnswer(inv -> {
      // the kernel answers only for the exec the token names (libproc.c: PIF_COMPARE_IDVERSION)
      ByteBuffer token = ByteBuffer.wrap((byte[]) inv.getArgument(0)).order(ByteOrder.LITTLE_ENDIAN);
      if (token.getInt(20) != PID) {
        throw new com.sun.jna.LastErrorException(3);
      }
      byte[] path = "/Applications/Client.app/Contents/MacOS/client".getBytes(StandardCharsets.UTF_8);
      System.arraycopy(path, 0, (byte[]) inv.getArgument(1), 0, path.length);
      return path.length;
    }).when(libc).proc_pidpath_audittoken(any(byte[].class), any(byte[].class), eq(LibC.PROC_PIDPATHINFO_MAXSIZE));
    doAnswer(inv -> {
      ByteBuffer.wrap((byte[]) inv.getArgument(2)).order(ByteOrder.LITTLE_ENDIAN).putInt(0, csFlags);
      return 0;
    }).when(libc).csops_audittoken(eq(PID), eq(LibC.CS_OPS_STATUS), any(byte[].class), eq(4L), any(byte[].class));

    doAnswer(inv -> {
      ByteBuffer.wrap((byte[]) inv.getArgument(2)).order(ByteOrder.LITTLE_ENDIAN).putInt(0, csFlags);
      return 0;
    }).when(libc).csops(eq(PID), eq(LibC.CS_OPS_STATUS), any(byte[].class), eq(4L));
    doAnswer(inv -> kernelEntitlements(inv.getArgument(2), inv.getArgument(3)))
        .when(libc).csops_audittoken(eq(PID), eq(LibC.CS_OPS_ENTITLEMENTS_BLOB), any(byte[].class), anyLong(),
            any(byte[].class));
    doAnswer(inv -> kernelEntitlements(inv.getArgument(2), inv.getArgument(3)))
        .when(libc).csops(eq(PID), eq(LibC.CS_OPS_ENTITLEMENTS_BLOB), any(byte[].class), anyLong());
    doAnswer(inv -> copyToken(kernelDerBlob, kernelDerErrno, inv.getArgument(2), inv.getArgument(3)))
        .when(libc).csops_audittoken(eq(PID), eq(LibC.CS_OPS_DER_ENTITLEMENTS_BLOB), any(byte[].class), anyLong(),
            any(byte[].class));
    doAnswer(inv -> copyToken(kernelDerBlob, kernelDerErrno, inv.getArgument(2), inv.getArgument(3)))
        .when(libc).csops(eq(PID), eq(LibC.CS_OPS_DER_ENTITLEMENTS_BLOB), any(byte[].class), anyLong());
    doAnswer(inv -> {
      ByteBuffer b = ByteBuffer.wrap((byte[]) inv.getArgument(3)).order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(12, PID).putInt(20, UID).putInt(24, GID).putLong(120, startSeconds).putLong(128, 250);
      return LibC.PROC_BSDINFO_SIZE;
    }).when(libc).proc_pidinfo(eq(PID), eq(LibC.PROC_PIDTBSDINFO), eq(0L), any(byte[].class),
        eq(LibC.PROC_BSDINFO_SIZE));

    when(cf.createData(any())).thenAnswer(inv -> owned("data"));
    when(cf.createNumber(anyInt())).thenAnswer(inv -> owned("number"));
    when(cf.createString(any())).thenAnswer(inv -> owned("string " + inv.getArgument(0)));
    when(cf.createDictionary(any(), any())).thenAnswer(inv -> owned("dictionary"));
    doAnswer(inv -> {
      Pointer p = inv.getArgument(0);
      if (live.remove(Pointer.nativeValue(p)) == null) {
        doubleReleases.add(Long.toHexString(Pointer.nativeValue(p)));
      }
      return null;
    }).when(cf).release(any());

    when(security.SecCodeCopyGuestWithAttributes(isNull(), any(), eq(0), any())).thenAnswer(inv -> {
      ((PointerByReference) inv.getArgument(3)).setValue(owned("SecCode"));
      return 0;
    });
    when(security.SecRequirementCreateWithString(any(), eq(0), any())).thenAnswer(inv -> {
      ((PointerByReference) inv.getArgument(2)).setValue(owned("SecRequirement"));
      return 0;
    });
    when(security.SecCodeCheckValidity(any(), eq(0), any())).thenAnswer(inv -> validity);
    when(security.SecCodeCheckValidity(any(), eq(0), isNull())).thenAnswer(inv -> validity);
    Pointer infoDict = new Pointer(0x77000);
    when(security.SecCodeCopySigningInformation(any(), eq(Security.kSecCSSigningInformation
        | Security.kSecCSDynamicInformation), any())).thenAnswer(inv -> {
          Pointer dict = owned("signing information");
          info.put("self", dict);
          ((PointerByReference) inv.getArgument(2)).setValue(dict);
          return 0;
        });
    // borrowed values inside the signing information dictionary
    Pointer identifier = new Pointer(0x78000);
    Pointer flags = new Pointer(0x78010);
    Pointer certArray = new Pointer(0x78020);
    Pointer entitlements = new Pointer(0x78030);
    Pointer unique = new Pointer(0x78040);
    when(cf.dictionaryValue(any(), eq("identifier"))).thenReturn(identifier);
    when(cf.dictionaryValue(any(), eq("flags"))).thenReturn(flags);
    when(cf.dictionaryValue(any(), eq("certificates"))).thenReturn(certArray);
    when(cf.dictionaryValue(any(), eq("entitlements-dict"))).thenReturn(entitlements);
    when(cf.dictionaryValue(any(), eq("unique"))).thenReturn(unique);
    when(cf.stringValue(identifier)).thenReturn(java.util.Optional.of("org.openjfx.client"));
    when(cf.numberValue(flags)).thenAnswer(inv -> OptionalLong.of(csFlags & 0xffff_ffffL & ~SecCodeCheck.CS_VALID));
    when(cf.isDictionary(entitlements)).thenAnswer(inv -> entitlementsIsDictionary);
    when(cf.trueKeys(entitlements)).thenAnswer(inv -> securityEntitlements);
    Map<Long, byte[]> certData = new HashMap<>();
    when(cf.arrayValues(certArray)).thenAnswer(inv -> {
      List<Pointer> refs = new ArrayList<>();
      for (int i = 0; i < certificates.size(); i++) {
        refs.add(new Pointer(0x79000 + 16L * i));
      }
      return refs;
    });
    when(security.SecCertificateCopyData(any())).thenAnswer(inv -> {
      int index = (int) ((Pointer.nativeValue(inv.getArgument(0)) - 0x79000) / 16);
      Pointer data = owned("certificate data");
      certData.put(Pointer.nativeValue(data), certificates.get(index).getEncoded());
      return data;
    });
    when(cf.dataValue(any())).thenAnswer(inv -> {
      Pointer p = inv.getArgument(0);
      if (Pointer.nativeValue(p) == 0x78040) {
        return java.util.Optional.of(new byte[20]);
      }
      return java.util.Optional.ofNullable(certData.get(Pointer.nativeValue(p)));
    });
  }

  @AfterEach
  void everyCoreFoundationObjectWasReleasedOnce() {
    assertEquals(Map.of(), live, "CoreFoundation objects leaked");
    assertEquals(List.of(), doubleReleases, "released twice");
  }

  private MacPeerBackend backend(String requirement) {
    return new MacPeerBackend(libc, security, cf, requirement);
  }

  private CodeSignature check(String requirement, TrustStore trust) throws Exception {
    try (PeerProcess p = backend(requirement).attach(PeerHandle.socket(FD))) {
      return p.verifyExecutable(VerificationContext.of(trust)).signature();
    }
  }

  @Test
  void aDeveloperIdPeerIsIdentifiedByItsAuditToken() throws Exception {
    try (PeerProcess p = backend(null).attach(PeerHandle.socket(FD))) {
      assertEquals(PID, p.process().pid());
      assertEquals(UID, p.process().uid());
      assertEquals(GID, p.process().gid());
      assertEquals(List.of(20L, 12L), p.process().groups());
      assertEquals("audit-token:pidversion=77", p.process().raceToken());
      assertFalse(p.process().racy());
      assertEquals("/Applications/Client.app/Contents/MacOS/client", p.executable().path());
      CodeSignature sig = p.verifyExecutable(VerificationContext.of(TrustStore.empty())).signature();
      assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
      assertEquals("apple-generic", sig.attribute("appleAnchor").orElseThrow());
      assertEquals("S7ZR395D8U", sig.signer().flatMap(Signer::teamId).orElseThrow());
      assertEquals("org.openjfx.client", sig.signer().flatMap(Signer::identifier).orElseThrow());
      assertEquals("true", sig.attribute("hardenedRuntime").orElseThrow());
      assertEquals("com.apple.security.cs.allow-jit", sig.attribute("entitlements").orElseThrow());
      assertEquals("0".repeat(40), sig.attribute("cdhash").orElseThrow());
    }
    // the guest is looked up by {"audit": exactly the 32 token bytes}
    org.mockito.ArgumentCaptor<byte[]> data = org.mockito.ArgumentCaptor.forClass(byte[].class);
    verify(cf).createData(data.capture());
    assertEquals(32, data.getValue().length);
    assertEquals(PID, ByteBuffer.wrap(data.getValue()).order(ByteOrder.LITTLE_ENDIAN).getInt(20));
    verify(cf).createString("audit");
    // the path, too, comes from the exec the token names, never from the bare pid
    verify(libc).proc_pidpath_audittoken(any(byte[].class), any(byte[].class), anyInt());
    verify(libc, never()).proc_pidpath(anyInt(), any(byte[].class), anyInt());
  }

  @Test
  void aTrustStoreEntryMakesThePeerValid() throws Exception {
    TrustStore trust = TrustStore.builder().trust("gluon", certificates.get(0)).build();
    CodeSignature sig = check(null, trust);
    assertEquals(SignatureStatus.VALID, sig.status(), sig.toString());
    assertEquals("gluon", sig.signer().flatMap(Signer::trustName).orElseThrow());
  }

  @Test
  void anAdhocPeerHasNoSigner() throws Exception {
    certificates = List.of();
    csFlags = SecCodeCheck.CS_VALID | CodeDirectory.FLAG_ADHOC | CodeDirectory.FLAG_LINKER_SIGNED;
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.UNTRUSTED, sig.status());
    assertEquals("ad-hoc signature: no signer", sig.reasons().get(0));
    assertEquals("true", sig.attribute("adhoc").orElseThrow());
    assertEquals("true", sig.attribute("linkerSigned").orElseThrow());
    assertEquals("false", sig.attribute("hardenedRuntime").orElseThrow());
  }

  @ParameterizedTest
  @CsvSource({
    "-67062, UNSIGNED, errSecCSUnsigned",
    "-67061, INVALID, errSecCSSignatureFailed",
    "-67050, UNTRUSTED, errSecCSReqFailed",
    "-67063, INVALID, errSecCSGuestInvalid",
    "-67034, INVALID, errSecCSStaticCodeChanged",
    "-66996, UNTRUSTED, errSecCSSignatureUntrusted",
    "-12345, INVALID, OSStatus -12345",
  })
  void eachOsStatusIsMappedAndSigningInformationIsNotRead(int osStatus, SignatureStatus expected, String reason)
      throws Exception {
    validity = osStatus;
    CodeSignature sig = check("anchor apple generic", TrustStore.empty());
    assertEquals(expected, sig.status(), sig.toString());
    assertTrue(sig.reasons().get(0).contains(reason), sig.reasons().toString());
    assertFalse(sig.attribute("appleAnchor").isPresent());
    verify(security, never()).SecCodeCopySigningInformation(any(), anyInt(), any());
  }

  @Test
  void theRequirementIsCompiledAndPassedToTheValidityCheck() throws Exception {
    validity = CodeCheckStatus.ERR_SEC_CS_REQ_FAILED;
    CodeSignature sig = check("anchor apple generic and certificate leaf[subject.OU] = \"S7ZR395D8U\"", TrustStore.empty());
    assertTrue(sig.reasons().get(0).contains("certificate leaf[subject.OU]"), sig.reasons().toString());
    verify(cf).createString("anchor apple generic and certificate leaf[subject.OU] = \"S7ZR395D8U\"");
    verify(security).SecCodeCheckValidity(any(), eq(0), org.mockito.ArgumentMatchers.notNull());
  }

  @Test
  void aRequirementThatDoesNotCompileDenies() throws Exception {
    org.mockito.Mockito.doReturn(-67052).when(security).SecRequirementCreateWithString(any(), eq(0), any());
    CodeSignature sig = check("anchor nonsense", TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("does not compile"));
    verify(security, never()).SecCodeCheckValidity(any(), anyInt(), any());
  }

  @Test
  void aGuestThatCannotBeFoundDenies() throws Exception {
    org.mockito.Mockito.doReturn(-67065).when(security).SecCodeCopyGuestWithAttributes(isNull(), any(), eq(0), any());
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("OSStatus -67065"));
  }

  @Test
  void guestAttributesThatCannotBeBuiltAreNeverPassedAsNull() throws Exception {
    // NULL attributes make Security.framework read the count of a NULL dictionary, and an empty
    // dictionary names the kernel (Code.cpp SecCode::autoLocateGuest): either way, never ask
    org.mockito.Mockito.doReturn(null).when(cf).createDictionary(any(), any());
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("guest attributes"), sig.toString());
    verify(security, never()).SecCodeCopyGuestWithAttributes(any(), any(), anyInt(), any());
  }

  @Test
  void aDebuggedPeerIsDeniedAlthoughSecCodeCheckValidityPassesIt() throws Exception {
    csFlags = SecCodeCheck.CS_VALID | SecCodeCheck.CS_DEBUGGED | CodeDirectory.FLAG_RUNTIME;
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("CS_DEBUGGED"), sig.reasons().toString());
    verify(security, never()).SecCodeCopySigningInformation(any(), anyInt(), any());
  }

  @Test
  void aDebuggedPeerIsReportedAsTracedAtAttach() throws Exception {
    try (PeerProcess p = backend(null).attach(PeerHandle.socket(FD))) {
      assertFalse(p.risks().traced());
    }
    csFlags = SecCodeCheck.CS_VALID | SecCodeCheck.CS_DEBUGGED;
    try (PeerProcess p = backend(null).attach(PeerHandle.socket(FD))) {
      assertTrue(p.risks().traced());
    }
  }

  @Test
  void aPeerWhoseKernelValidityIsGoneIsDenied() throws Exception {
    csFlags = CodeDirectory.FLAG_RUNTIME;
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("CS_VALID clear"));
  }

  @Test
  void aFailingCsopsDenies() throws Exception {
    try (PeerProcess p = backend(null).attach(PeerHandle.socket(FD))) {
      doAnswer(inv -> {
        throw new com.sun.jna.LastErrorException(3);
      }).when(libc).csops_audittoken(anyInt(), anyInt(), any(byte[].class), anyLong(), any(byte[].class));
      CodeSignature sig = p.verifyExecutable(VerificationContext.of(TrustStore.empty())).signature();
      assertEquals(SignatureStatus.INVALID, sig.status());
      assertTrue(sig.reasons().get(0).contains("errno 3"));
    }
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
        () -> backend(null).attach(PeerHandle.socket(FD)));
    assertTrue(e.getMessage().contains("errno 3"));
  }

  @Test
  void aPidversionChangeDuringTheCheckDenies() throws Exception {
    // attach reads the token twice; the check's confirmation read sees a new exec
    pidVersions.clear();
    pidVersions.addAll(List.of(77, 77, 78));
    try (PeerProcess p = backend(null).attach(PeerHandle.socket(FD))) {
      CodeSignature sig = p.verifyExecutable(VerificationContext.of(TrustStore.empty())).signature();
      assertEquals(SignatureStatus.INVALID, sig.status(), sig.toString());
      assertTrue(sig.reasons().get(0).contains("pidversion 77 became pid " + PID + " pidversion 78"), sig.reasons().toString());
      PeerIdentificationException e = assertThrows(PeerIdentificationException.class, p::confirmUnchanged);
      assertTrue(e.getMessage().contains("exec after connect"));
    }
  }

  @Test
  void aPidversionChangeWhileAttachingFails() {
    pidVersions.clear();
    pidVersions.addAll(List.of(77, 78));
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
        () -> backend(null).attach(PeerHandle.socket(FD)));
    assertTrue(e.getMessage().contains("changed"), e.getMessage());
  }

  @Test
  void anEuidThatDisagreesWithPeercredFails() throws Exception {
    doAnswer(inv -> {
      byte[] out = inv.getArgument(3);
      ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0).putInt(4, 0).putShort(8, (short) 0);
      ((IntByReference) inv.getArgument(4)).setValue(PeerSocket.XUCRED_SIZE);
      return 0;
    }).when(libc).getsockopt(eq(FD), eq(LibC.SOL_LOCAL), eq(LibC.LOCAL_PEERCRED), any(byte[].class),
        any(IntByReference.class));
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
        () -> backend(null).attach(PeerHandle.socket(FD)));
    assertTrue(e.getMessage().contains("LOCAL_PEERCRED uid 0"), e.getMessage());
  }

  @Test
  void aGetsockoptFailureFailsWithTheErrno() throws Exception {
    doAnswer(inv -> {
      throw new com.sun.jna.LastErrorException(57);
    }).when(libc).getsockopt(eq(FD), eq(LibC.SOL_LOCAL), eq(LibC.LOCAL_PEERTOKEN), any(byte[].class),
        any(IntByReference.class));
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
        () -> backend(null).attach(PeerHandle.socket(FD)));
    assertTrue(e.getMessage().contains("errno 57"), e.getMessage());
  }

  private void noEntitlementsDict() {
    when(cf.dictionaryValue(any(), eq("entitlements-dict"))).thenReturn(null);
  }

  private static List<String> entitlements(CodeSignature sig) {
    String list = sig.attribute("entitlements").orElseThrow();
    return list.isEmpty() ? List.of() : List.of(list.split("\n"));
  }

  @Test
  void agreeingSourcesReportTheEntitlementsOnceAfterALengthProbe() throws Exception {
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
    assertEquals(List.of("com.apple.security.cs.allow-jit"), entitlements(sig));
    assertEquals(List.of(8L, (long) kernelBlob.length), kernelBufferSizes);
  }

  @Test
  void anEntitlementSecurityFrameworkLeavesOutIsTakenFromTheKernel() throws Exception {
    noEntitlementsDict();
    kernelBlob = entitlementsBlob("com.apple.security.get-task-allow");
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
    assertEquals(List.of("com.apple.security.get-task-allow"), entitlements(sig));
  }

  @Test
  void aPolicyWithoutTheOptInDeniesAnEntitlementOnlyTheKernelReports() throws Exception {
    noEntitlementsDict();
    kernelBlob = entitlementsBlob("com.apple.security.get-task-allow");
    String vendor = "anchor apple generic and team = \"S7ZR395D8U\" and identifier \"org.openjfx.client\"";
    try (PeerVerifier verifier = PeerVerifier.builder().trustStore(TrustStore.empty()).policy(Policy.parse(vendor))
        .backend(backend(null)).threads(1).build()) {
      Verdict denied = verifier.verify(PeerHandle.socket(FD));
      assertFalse(denied.isAllowed(), denied.toString());
      assertTrue(denied.reasons().stream().anyMatch(r -> r.contains("com.apple.security.get-task-allow")),
          denied.reasons().toString());
    }
    // the same peer, with the opt-in: the entitlement was the only reason
    try (PeerVerifier verifier = PeerVerifier.builder().trustStore(TrustStore.empty())
        .policy(Policy.parse(vendor + " and entitlement \"com.apple.security.get-task-allow\""))
        .backend(backend(null)).threads(1).build()) {
      Verdict allowed = verifier.verify(PeerHandle.socket(FD));
      assertTrue(allowed.isAllowed(), allowed.toString());
    }
  }

  @Test
  void theKernelsExtraEntitlementsAreJoinedToSecurityFrameworks() throws Exception {
    kernelBlob = entitlementsBlob("com.apple.security.cs.allow-jit", "com.apple.security.cs.disable-library-validation");
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(List.of("com.apple.security.cs.allow-jit", "com.apple.security.cs.disable-library-validation"),
        entitlements(sig));
  }

  @Test
  void securityFrameworksEntitlementsStayWhenTheKernelGivesNone() throws Exception {
    // xnu writes nothing also when AMFI cannot give the XML form
    kernelBlob = null;
    assertEquals(List.of("com.apple.security.cs.allow-jit"), entitlements(check(null, TrustStore.empty())));
  }

  @Test
  void aPeerWithoutEntitlementsHasNone() throws Exception {
    noEntitlementsDict();
    kernelBlob = null;
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
    assertEquals(List.of(), entitlements(sig));
    assertEquals(List.of(8L), kernelBufferSizes);
  }

  @Test
  void derOnlyEntitlementsWithoutADictAreInvalid() throws Exception {
    // xnu writes nothing for the XML op when AMFI cannot give the XML form: the DER op tells
    noEntitlementsDict();
    kernelBlob = null;
    kernelDerBlob = ByteBuffer.allocate(40).putInt(SuperBlob.DER_ENTITLEMENTS_MAGIC).putInt(40).array();
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status(), sig.toString());
    assertTrue(sig.reasons().get(0).contains("only in the DER form (40 bytes)"), sig.reasons().toString());
  }

  @Test
  void derOnlyEntitlementsBesideAReadableDictKeepTheDict() throws Exception {
    kernelBlob = null;
    kernelDerBlob = ByteBuffer.allocate(40).putInt(SuperBlob.DER_ENTITLEMENTS_MAGIC).putInt(40).array();
    assertEquals(List.of("com.apple.security.cs.allow-jit"), entitlements(check(null, TrustStore.empty())));
  }

  @ParameterizedTest
  @CsvSource({"22, UNTRUSTED", "3, INVALID"})
  void aKernelBeforeTheDerOpMeansNoneOtherDerRefusalsDeny(int errno, SignatureStatus expected) throws Exception {
    noEntitlementsDict();
    kernelBlob = null;
    kernelDerErrno = errno; // EINVAL: an unknown op, before macOS 12
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(expected, sig.status(), sig.toString());
    if (expected == SignatureStatus.INVALID) {
      assertTrue(sig.reasons().get(0).contains("refused the DER form (errno 3"), sig.reasons().toString());
    } else {
      assertEquals(List.of(), entitlements(sig));
    }
  }

  @Test
  void aGarbageKernelBlobWithoutADictIsInvalid() throws Exception {
    noEntitlementsDict();
    byte[] garbage = "<plist><dict><key>com.apple.security.get-task-allow</key><true/>".getBytes(StandardCharsets.UTF_8);
    kernelBlob = ByteBuffer.allocate(8 + garbage.length).putInt(SuperBlob.ENTITLEMENTS_MAGIC)
        .putInt(8 + garbage.length).put(garbage).array();
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status(), sig.toString());
    assertTrue(sig.reasons().get(0).startsWith("cannot establish the peer's entitlements"), sig.reasons().toString());
    assertTrue(sig.reasons().get(0).contains("not a readable entitlements plist"), sig.reasons().toString());
  }

  @Test
  void aGarbageKernelBlobBesideAReadableDictKeepsTheDict() throws Exception {
    kernelBlob = new byte[] {(byte) 0xfa, (byte) 0xde, 0x71, 0x71, 0, 0, 0, 9, 'x'};
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
    assertEquals(List.of("com.apple.security.cs.allow-jit"), entitlements(sig));
  }

  @Test
  void aHugeClaimedLengthIsRefusedWithoutAllocatingIt() throws Exception {
    noEntitlementsDict();
    kernelBlob = new byte[0];
    doAnswer(inv -> {
      kernelBufferSizes.add(inv.getArgument(3));
      ByteBuffer.wrap((byte[]) inv.getArgument(2)).putInt(4, 0xfffffff0);
      throw new com.sun.jna.LastErrorException(LibC.ERANGE);
    }).when(libc).csops_audittoken(eq(PID), eq(LibC.CS_OPS_ENTITLEMENTS_BLOB), any(byte[].class), anyLong(),
        any(byte[].class));
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status(), sig.toString());
    assertTrue(sig.reasons().get(0).contains("a blob of 4294967280 bytes"), sig.reasons().toString());
    assertEquals(List.of(8L), kernelBufferSizes, "only the 8-byte probe was made");
  }

  @Test
  void aBlobJustOverTheBoundIsRefusedAndOneAtItIsRead() throws Exception {
    noEntitlementsDict();
    kernelBlob = new byte[(int) KernelEntitlements.MAX_BLOB_BYTES + 1];
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status(), sig.toString());
    assertEquals(List.of(8L), kernelBufferSizes);
    byte[] padded = entitlementsBlob("com.apple.security.get-task-allow");
    byte[] atBound = java.util.Arrays.copyOf(padded, (int) KernelEntitlements.MAX_BLOB_BYTES);
    java.util.Arrays.fill(atBound, padded.length, atBound.length, (byte) ' ');
    ByteBuffer.wrap(atBound).putInt(4, atBound.length);
    kernelBlob = atBound;
    kernelBufferSizes.clear();
    assertEquals(List.of("com.apple.security.get-task-allow"), entitlements(check(null, TrustStore.empty())));
    assertEquals(List.of(8L, KernelEntitlements.MAX_BLOB_BYTES), kernelBufferSizes);
  }

  @ParameterizedTest
  @CsvSource({
    "3, the process is gone or now runs another program",
    "22, the kernel does not consider its code valid",
    "85, the kernel holds no code signature for it",
    "1, errno 1: unexpected error",
  })
  void aKernelRefusalWithoutADictIsInvalid(int errno, String reason) throws Exception {
    noEntitlementsDict();
    kernelErrno = errno;
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status(), sig.toString());
    assertTrue(sig.reasons().get(0).contains(reason), sig.reasons().toString());
  }

  @Test
  void aKernelRefusalBesideAReadableDictKeepsTheDict() throws Exception {
    kernelErrno = LibC.ESRCH;
    assertEquals(List.of("com.apple.security.cs.allow-jit"), entitlements(check(null, TrustStore.empty())));
  }

  @Test
  void theDerFormWithoutADictIsInvalidAndSaysSo() throws Exception {
    noEntitlementsDict();
    kernelBlob = ByteBuffer.allocate(16).putInt(SuperBlob.DER_ENTITLEMENTS_MAGIC).putInt(16).array();
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status(), sig.toString());
    assertTrue(sig.reasons().get(0).contains("DER form"), sig.reasons().toString());
  }

  @Test
  void entitlementsThatAreNotADictionaryAndNoneFromTheKernelAreInvalid() throws Exception {
    entitlementsIsDictionary = false;
    kernelBlob = null;
    CodeSignature sig = check(null, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status(), sig.toString());
    assertTrue(sig.reasons().get(0).contains("not a dictionary"), sig.reasons().toString());
    verify(cf, never()).trueKeys(any());
  }

  @Test
  void entitlementsThatAreNotADictionaryGiveWayToTheKernels() throws Exception {
    entitlementsIsDictionary = false;
    kernelBlob = entitlementsBlob("com.apple.security.get-task-allow");
    assertEquals(List.of("com.apple.security.get-task-allow"), entitlements(check(null, TrustStore.empty())));
  }

  @Test
  void aBarePidsEntitlementsComeFromCsopsByPid() throws Exception {
    noEntitlementsDict();
    kernelBlob = entitlementsBlob("com.apple.security.cs.allow-dyld-environment-variables");
    try (PeerProcess p = backend(null).attach(PeerHandle.pid(PID))) {
      CodeSignature sig = p.verifyExecutable(VerificationContext.of(TrustStore.empty())).signature();
      assertEquals(List.of("com.apple.security.cs.allow-dyld-environment-variables"), entitlements(sig));
    }
    verify(libc, never()).csops_audittoken(anyInt(), eq(LibC.CS_OPS_ENTITLEMENTS_BLOB), any(byte[].class), anyLong(),
        any(byte[].class));
  }

  @Test
  void socketsAndPidsAreAccepted() {
    assertTrue(backend(null).accepts(PeerHandle.socket(3)));
    assertTrue(backend(null).accepts(PeerHandle.pid(3)));
  }

  @Test
  void aBarePidIsRacyPinnedByStartTimeAndLookedUpByPid() throws Exception {
    try (PeerProcess p = backend(null).attach(PeerHandle.pid(PID))) {
      assertTrue(p.process().racy());
      assertEquals("starttime:1700000000.000250", p.process().raceToken());
      assertEquals(UID, p.process().uid());
      assertEquals(GID, p.process().gid());
      CodeSignature sig = p.verifyExecutable(VerificationContext.of(TrustStore.empty())).signature();
      assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
      assertEquals("S7ZR395D8U", sig.signer().flatMap(Signer::teamId).orElseThrow());
    }
    verify(cf).createNumber(PID);
    verify(cf).createString("pid");
    verify(cf, never()).createData(any());
    verify(libc, never()).getsockopt(anyInt(), anyInt(), anyInt(), any(byte[].class), any(IntByReference.class));
  }

  @Test
  void aReusedPidIsDetected() throws Exception {
    try (PeerProcess p = backend(null).attach(PeerHandle.pid(PID))) {
      startSeconds++;
      CodeSignature sig = p.verifyExecutable(VerificationContext.of(TrustStore.empty())).signature();
      assertEquals(SignatureStatus.INVALID, sig.status());
      assertTrue(sig.reasons().get(0).contains("now names another process"), sig.reasons().toString());
    }
  }

  @Test
  void aDebuggedPidIsTracedAndDenied() throws Exception {
    csFlags = SecCodeCheck.CS_VALID | SecCodeCheck.CS_DEBUGGED;
    try (PeerProcess p = backend(null).attach(PeerHandle.pid(PID))) {
      assertTrue(p.risks().traced());
      CodeSignature sig = p.verifyExecutable(VerificationContext.of(TrustStore.empty())).signature();
      assertEquals(SignatureStatus.INVALID, sig.status());
      assertTrue(sig.reasons().get(0).contains("CS_DEBUGGED"));
    }
  }

  @Test
  void aPidThatIsGoneFails() throws Exception {
    assertThrows(PeerIdentificationException.class, () -> backend(null).attach(PeerHandle.pid(PID + 1)));
  }

  /**
   * A live peer runs one slice of a universal file, and SecCode describes that slice: the kernel
   * picked it by the process's CPU type. Here the peer runs the arm64 slice of the real
   * {@code sentry-cli} (its own certificates and identifier), so an identifier that only the arm64
   * slice has is the peer's, although the file as a whole does not have it.
   */
  @Test
  void aLivePeerIsJudgedByTheSliceItRuns() throws Exception {
    java.nio.file.Path sentry = dev.peerid.testing.RealFiles.npm(UniversalPerSliceTest.SENTRY_CLI, "package/bin/sentry-cli");
    CodeSignature file = new MachOVerifier().verify(dev.peerid.spi.ExecutableFile.of(sentry),
        VerificationContext.of(TrustStore.empty())).signature();
    CodeSignature arm = file.slice("arm64").orElseThrow();
    certificates = arm.signer().orElseThrow().chain().subList(0, 2);
    when(cf.stringValue(new Pointer(0x78000))).thenReturn(java.util.Optional.of(UniversalPerSliceTest.ARM_ID));
    String policy = "anchor apple generic and team = \"" + UniversalPerSliceTest.TEAM + "\" and identifier = \""
        + UniversalPerSliceTest.ARM_ID + "\"";
    try (PeerVerifier verifier = PeerVerifier.builder().trustStore(TrustStore.empty()).policy(Policy.parse(policy))
        .backend(backend(null)).threads(1).build()) {
      Verdict live = verifier.verify(PeerHandle.socket(FD));
      assertTrue(live.isAllowed(), live.reasons().toString());
      CodeSignature running = live.identity().orElseThrow().signature();
      assertEquals("Security.framework", running.attribute("verifiedBy").orElseThrow());
      assertEquals(List.of(), running.slices(), "SecCode describes the running slice only");
      assertEquals(UniversalPerSliceTest.ARM_ID, running.signer().flatMap(Signer::identifier).orElseThrow());
      assertFalse(verifier.verifyFile(sentry).isAllowed(), "the x86_64 slice of the file has another identifier");
    }
  }

  @Test
  void offMacOsTheServiceLoaderBackendIsUnsupportedWithACause() {
    PeerBackend loaded = ServiceLoader.load(PeerBackend.class).stream().map(ServiceLoader.Provider::get)
        .filter(b -> b instanceof MacPeerBackend).findFirst().orElseThrow();
    assertEquals(Platform.MACOS, loaded.platform());
    if (Platform.current() != Platform.MACOS) {
      assertFalse(loaded.isSupported());
      assertTrue(loaded.unavailabilityCause().orElseThrow().getMessage().contains("not macOS"));
      UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, loaded::ensureSupported);
      assertTrue(e.getCause() != null);
      assertThrows(PeerIdentificationException.class, () -> loaded.attach(PeerHandle.socket(3)));
    }
  }
}
