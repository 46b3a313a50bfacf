package dev.peerid.macos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.platform.mac.CoreFoundation;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Holds the macOS backend's native mappings (written without a Mac to run them on) against
 * Apple's open-source headers. Each expected value names the header it was read from:
 * apple-oss-distributions/xnu at xnu-11417.101.15, apple-oss-distributions/Security at
 * Security-61901.0.87.0.1, apple-oss-distributions/CF at CF-1153.18.
 *
 * <p>Struct layouts are checked twice: against the numbers worked out by hand from the header, and
 * against JNA's layout of a {@link Structure} that copies the header's field list. JNA lays the
 * structure out for the machine the test runs on (LP64, natural alignment), which is also the
 * layout of both macOS ABIs (x86_64 and arm64) for these 16-, 32- and 64-bit fields.
 */
class MacNativeLayoutTest {

  /** A Structure whose field offsets can be read. */
  abstract static class HeaderStruct extends Structure {
    int offsetOf(String field) {
      return fieldOffset(field);
    }
  }

  /** xnu bsd/sys/ucred.h {@code struct xucred}; NGROUPS = NGROUPS_MAX = 16 (bsd/sys/param.h, bsd/sys/syslimits.h). */
  @Structure.FieldOrder({"cr_version", "cr_uid", "cr_ngroups", "cr_groups"})
  public static class Xucred extends HeaderStruct {
    public int cr_version; // u_int
    public int cr_uid; // uid_t = __uint32_t
    public short cr_ngroups; // short
    public int[] cr_groups = new int[16]; // gid_t[NGROUPS]
  }

  /** xnu osfmk/mach/message.h {@code audit_token_t} (included by bsd/bsm/audit.h). */
  @Structure.FieldOrder({"val"})
  public static class AuditTokenT extends HeaderStruct {
    public int[] val = new int[8]; // unsigned int val[8]
  }

  /** xnu bsd/sys/proc_info.h {@code struct proc_bsdinfo}; MAXCOMLEN = 16 (bsd/sys/param.h). */
  @Structure.FieldOrder({"pbi_flags", "pbi_status", "pbi_xstatus", "pbi_pid", "pbi_ppid", "pbi_uid", "pbi_gid",
      "pbi_ruid", "pbi_rgid", "pbi_svuid", "pbi_svgid", "rfu_1", "pbi_comm", "pbi_name", "pbi_nfiles", "pbi_pgid",
      "pbi_pjobc", "e_tdev", "e_tpgid", "pbi_nice", "pbi_start_tvsec", "pbi_start_tvusec"})
  public static class ProcBsdinfoT extends HeaderStruct {
    public int pbi_flags;
    public int pbi_status;
    public int pbi_xstatus;
    public int pbi_pid;
    public int pbi_ppid;
    public int pbi_uid;
    public int pbi_gid;
    public int pbi_ruid;
    public int pbi_rgid;
    public int pbi_svuid;
    public int pbi_svgid;
    public int rfu_1;
    public byte[] pbi_comm = new byte[16]; // char[MAXCOMLEN]
    public byte[] pbi_name = new byte[32]; // char[2 * MAXCOMLEN]
    public int pbi_nfiles;
    public int pbi_pgid;
    public int pbi_pjobc;
    public int e_tdev;
    public int e_tpgid;
    public int pbi_nice;
    public long pbi_start_tvsec; // uint64_t
    public long pbi_start_tvusec; // uint64_t
  }

  @Test
  void xucredMatchesUcredH() {
    Xucred x = new Xucred();
    assertEquals(76, x.size()); // 4 + 4 + 2 (+2 padding) + 16 * 4
    assertEquals(x.size(), PeerSocket.XUCRED_SIZE);
    assertEquals(0, PeerSocket.XUCRED_VERSION_OFFSET);
    assertEquals(x.offsetOf("cr_version"), PeerSocket.XUCRED_VERSION_OFFSET);
    assertEquals(4, PeerSocket.XUCRED_UID_OFFSET);
    assertEquals(x.offsetOf("cr_uid"), PeerSocket.XUCRED_UID_OFFSET);
    assertEquals(8, PeerSocket.XUCRED_NGROUPS_OFFSET);
    assertEquals(x.offsetOf("cr_ngroups"), PeerSocket.XUCRED_NGROUPS_OFFSET);
    assertEquals(12, PeerSocket.XUCRED_GROUPS_OFFSET);
    assertEquals(x.offsetOf("cr_groups"), PeerSocket.XUCRED_GROUPS_OFFSET);
    assertEquals(16, PeerSocket.XUCRED_NGROUPS_MAX); // bsd/sys/syslimits.h NGROUPS_MAX
    assertEquals(0, PeerSocket.XUCRED_VERSION); // bsd/sys/ucred.h XUCRED_VERSION
  }

  @Test
  void auditTokenMatchesMessageHAndKernProtC() {
    AuditTokenT t = new AuditTokenT();
    assertEquals(32, t.size()); // unsigned int val[8]
    assertEquals(t.size(), AuditToken.SIZE);
    // bsd/kern/kern_prot.c proc_calc_audit_token: val[1] = cr_uid (effective), val[2] = cr_gid,
    // val[5] = proc_getpid(p), val[7] = proc_pidversion(p)
    assertEquals(1, AuditToken.EUID);
    assertEquals(2, AuditToken.EGID);
    assertEquals(5, AuditToken.PID);
    assertEquals(7, AuditToken.PIDVERSION);
    // bsd/kern/kern_proc.c csops_internal compares token.val[5] / val[7] with the process
    // (ESRCH when they differ): the same two fields AuditToken.sameProcess compares
  }

  @Test
  void procBsdinfoMatchesProcInfoH() {
    ProcBsdinfoT p = new ProcBsdinfoT();
    assertEquals(136, p.size()); // 12 * 4 + 16 + 32 + 6 * 4 + 2 * 8
    assertEquals(p.size(), ProcBsdInfo.SIZE);
    assertEquals(ProcBsdInfo.SIZE, LibC.PROC_BSDINFO_SIZE);
    assertEquals(12, ProcBsdInfo.PID_OFFSET);
    assertEquals(p.offsetOf("pbi_pid"), ProcBsdInfo.PID_OFFSET);
    assertEquals(20, ProcBsdInfo.UID_OFFSET);
    assertEquals(p.offsetOf("pbi_uid"), ProcBsdInfo.UID_OFFSET);
    assertEquals(24, ProcBsdInfo.GID_OFFSET);
    assertEquals(p.offsetOf("pbi_gid"), ProcBsdInfo.GID_OFFSET);
    assertEquals(120, ProcBsdInfo.START_TVSEC_OFFSET);
    assertEquals(p.offsetOf("pbi_start_tvsec"), ProcBsdInfo.START_TVSEC_OFFSET);
    assertEquals(128, ProcBsdInfo.START_TVUSEC_OFFSET);
    assertEquals(p.offsetOf("pbi_start_tvusec"), ProcBsdInfo.START_TVUSEC_OFFSET);
  }

  @Test
  void aProcBsdinfoWrittenByTheHeaderLayoutIsReadBack() throws Exception {
    ProcBsdinfoT p = new ProcBsdinfoT();
    p.pbi_pid = 4242;
    p.pbi_ppid = 1;
    p.pbi_uid = 501;
    p.pbi_gid = 20;
    p.pbi_ruid = 502;
    p.pbi_rgid = 21;
    p.pbi_start_tvsec = 1_700_000_123L;
    p.pbi_start_tvusec = 42;
    p.write();
    byte[] bytes = p.getPointer().getByteArray(0, p.size());
    ProcBsdInfo info = ProcBsdInfo.parse(bytes, bytes.length);
    assertEquals(new ProcBsdInfo(4242, 501, 20, 1_700_000_123L, 42), info);
    assertEquals("1700000123.000042", info.startTime());
  }

  @Test
  void aShortProcBsdinfoIsRefused() {
    // proc_pidinfo returns 0 on failure (libproc.c) and the byte count on success
    for (int length : new int[] {0, ProcBsdInfo.SIZE - 1, ProcBsdInfo.SIZE + 1}) {
      org.junit.jupiter.api.Assertions.assertThrows(dev.peerid.PeerIdentificationException.class,
          () -> ProcBsdInfo.parse(new byte[ProcBsdInfo.SIZE + 1], length), "length " + length);
    }
    org.junit.jupiter.api.Assertions.assertThrows(dev.peerid.PeerIdentificationException.class,
        () -> ProcBsdInfo.parse(new byte[8], ProcBsdInfo.SIZE));
  }

  @Test
  void anXucredWrittenByTheHeaderLayoutIsReadBack() throws Exception {
    Xucred x = new Xucred();
    x.cr_version = 0;
    x.cr_uid = 501;
    x.cr_ngroups = 3;
    x.cr_groups[0] = 20;
    x.cr_groups[1] = 12;
    x.cr_groups[2] = 0xfffffffe; // nogroup, -2: read unsigned
    x.cr_groups[3] = 99; // beyond cr_ngroups: not a group
    x.write();
    byte[] bytes = x.getPointer().getByteArray(0, x.size());
    LibC libc = mock(LibC.class);
    doAnswer(inv -> {
      byte[] out = inv.getArgument(3);
      System.arraycopy(bytes, 0, out, 0, bytes.length);
      ((IntByReference) inv.getArgument(4)).setValue(bytes.length);
      return 0;
    }).when(libc).getsockopt(anyInt(), eq(LibC.SOL_LOCAL), eq(LibC.LOCAL_PEERCRED), any(byte[].class),
        any(IntByReference.class));
    assertArrayEquals(new long[] {501, 20, 12, 0xfffffffeL}, new PeerSocket(libc, 7).credentials());
  }

  @Test
  void anAuditTokenWrittenByTheHeaderLayoutIsReadBack() {
    AuditTokenT t = new AuditTokenT();
    t.val = new int[] {-1, 501, 20, 502, 21, 4242, 100007, 0x80000001};
    t.write();
    AuditToken token = AuditToken.of(t.getPointer().getByteArray(0, t.size()));
    assertEquals(501, token.euid());
    assertEquals(20, token.egid());
    assertEquals(4242, token.pid());
    assertEquals(0x80000001L, token.pidVersion()); // unsigned int
  }

  @Test
  void constantsMatchTheHeaders() {
    // xnu bsd/sys/un.h
    assertEquals(0, LibC.SOL_LOCAL);
    assertEquals(0x001, LibC.LOCAL_PEERCRED);
    assertEquals(0x002, LibC.LOCAL_PEERPID);
    assertEquals(0x006, LibC.LOCAL_PEERTOKEN);
    // xnu bsd/kern/uipc_usrreq.c uipc_ctloutput: LOCAL_PEERPID copies out a pid_t (__int32_t)
    assertEquals(4, PeerSocket.PID_SIZE);
    // xnu bsd/sys/codesign.h
    assertEquals(0, LibC.CS_OPS_STATUS);
    // xnu bsd/kern/kern_proc.c csops_internal: CS_OPS_STATUS copies out sizeof(uint32_t)
    assertEquals(4, CodeGuest.CS_STATUS_SIZE);
    // xnu osfmk/kern/cs_blobs.h
    assertEquals(0x00000001, SecCodeCheck.CS_VALID);
    assertEquals(0x10000000, SecCodeCheck.CS_DEBUGGED);
    assertEquals(0x00000002, CodeDirectory.FLAG_ADHOC); // CS_ADHOC
    assertEquals(0x00010000, CodeDirectory.FLAG_RUNTIME); // CS_RUNTIME
    assertEquals(0x00020000, CodeDirectory.FLAG_LINKER_SIGNED); // CS_LINKER_SIGNED
    // xnu bsd/sys/proc_info.h; PROC_PIDPATHINFO_MAXSIZE = 4 * MAXPATHLEN, MAXPATHLEN = PATH_MAX =
    // 1024 (bsd/sys/param.h, bsd/sys/syslimits.h); libproc.c proc_pidpath refuses a larger buffer
    assertEquals(3, LibC.PROC_PIDTBSDINFO);
    assertEquals(4 * 1024, LibC.PROC_PIDPATHINFO_MAXSIZE);
  }

  @Test
  void securityFrameworkConstantsMatchItsHeaders() {
    // Security OSX/libsecurity_codesigning/lib/SecCode.h (SecCSFlags, a uint32_t per CSCommon.h)
    assertEquals(1 << 1, Security.kSecCSSigningInformation);
    assertEquals(1 << 3, Security.kSecCSDynamicInformation);
    // Security OSX/libsecurity_codesigning/lib/SecCode.cpp
    assertEquals("audit", CodeGuest.ATTRIBUTE_AUDIT); // kSecGuestAttributeAudit
    assertEquals("pid", CodeGuest.ATTRIBUTE_PID); // kSecGuestAttributePid
    assertEquals("identifier", SecCodeCheck.INFO_IDENTIFIER); // kSecCodeInfoIdentifier
    assertEquals("flags", SecCodeCheck.INFO_FLAGS); // kSecCodeInfoFlags
    assertEquals("entitlements-dict", SecCodeCheck.INFO_ENTITLEMENTS_DICT); // kSecCodeInfoEntitlementsDict
    assertEquals("unique", SecCodeCheck.INFO_UNIQUE); // kSecCodeInfoUnique
    assertEquals("certificates", SecCodeCheck.INFO_CERTIFICATES); // kSecCodeInfoCertificates
    // Security OSX/libsecurity_codesigning/lib/CSCommon.h
    assertEquals(-67062, CodeCheckStatus.ERR_SEC_CS_UNSIGNED);
    assertEquals(-67061, CodeCheckStatus.ERR_SEC_CS_SIGNATURE_FAILED);
    assertEquals(-67050, CodeCheckStatus.ERR_SEC_CS_REQ_FAILED);
    assertEquals(-67063, CodeCheckStatus.ERR_SEC_CS_GUEST_INVALID);
    assertEquals(-67034, CodeCheckStatus.ERR_SEC_CS_STATIC_CODE_CHANGED);
    assertEquals(-66996, CodeCheckStatus.ERR_SEC_CS_SIGNATURE_UNTRUSTED);
    // CSCommon.h: the kSecCodeInfoFlags value uses SecCodeSignatureFlags, the CodeDirectory flags
    assertEquals(0x0002, CodeDirectory.FLAG_ADHOC); // kSecCodeSignatureAdhoc
    assertEquals(0x10000, CodeDirectory.FLAG_RUNTIME); // kSecCodeSignatureRuntime
    assertEquals(0x20000, CodeDirectory.FLAG_LINKER_SIGNED); // kSecCodeSignatureLinkerSigned
    // CSCommon.h SecCodeStatus, the kernel's flags; Code.cpp SecCode::checkValidity passes a guest
    // that is not valid when it is debugged, hence our own CS_OPS_STATUS check
    assertEquals(0x00000001, SecCodeCheck.CS_VALID); // kSecCodeStatusValid
    assertEquals(0x10000000, SecCodeCheck.CS_DEBUGGED); // kSecCodeStatusDebugged
    // CF CFNumber.h: kCFNumberSInt32Type = 3 (the pid guest attribute is made with it)
    assertEquals(3, CoreFoundation.CFNumberType.kCFNumberSInt32Type.typeIndex().intValue());
  }

  /**
   * xnu osfmk/kern/cs_blobs.h {@code CS_GenericBlob}: {@code uint32_t magic; uint32_t length; char
   * data[];}, both fields in network byte order (kern_proc.c csops_copy_token writes
   * {@code htonl(length)}), the length counting the 8-byte header.
   */
  @Structure.FieldOrder({"magic", "length", "data"})
  public static class CsGenericBlob extends HeaderStruct {
    public int magic;
    public int length;
    public byte[] data = new byte[1];

    CsGenericBlob(int dataLength) {
      data = new byte[dataLength];
    }
  }

  @Test
  void theEntitlementsBlobOperationMatchesCodesignHAndKernProcC() {
    // xnu bsd/sys/codesign.h
    assertEquals(7, LibC.CS_OPS_ENTITLEMENTS_BLOB);
    assertEquals(16, LibC.CS_OPS_DER_ENTITLEMENTS_BLOB);
    // xnu bsd/sys/errno.h
    assertEquals(3, LibC.ESRCH);
    assertEquals(22, LibC.EINVAL);
    assertEquals(34, LibC.ERANGE);
    assertEquals(85, LibC.EBADEXEC);
    // csops_copy_token: ERANGE below sizeof(fakeheader) = 8, the header then carries the length at 4
    CsGenericBlob header = new CsGenericBlob(1);
    assertEquals(0, header.offsetOf("magic"));
    assertEquals(4, header.offsetOf("length"));
    assertEquals(KernelEntitlements.HEADER_SIZE, header.offsetOf("data"));
  }

  @Test
  void anEntitlementsBlobWrittenByTheHeaderLayoutIsReadBack() {
    byte[] plist = ("<plist version=\"1.0\"><dict><key>com.apple.security.get-task-allow</key><true/>"
        + "<key>com.apple.security.app-sandbox</key><false/></dict></plist>").getBytes(
            java.nio.charset.StandardCharsets.UTF_8);
    CsGenericBlob blob = new CsGenericBlob(plist.length);
    blob.magic = htonl(0xfade7171);
    blob.length = htonl(8 + plist.length);
    blob.data = plist;
    blob.write();
    byte[] copiedOut = blob.getPointer().getByteArray(0, 8 + plist.length);
    KernelEntitlements.Reconciled read = KernelEntitlements.parse(copiedOut).reconcile(java.util.Optional.empty(),
        false);
    assertEquals(List.of("com.apple.security.get-task-allow"), read.keys());
    assertTrue(read.refusal().isEmpty());
  }

  /** The byte order csops_copy_token writes (network order) as an int the native-order Structure stores. */
  private static int htonl(int value) {
    return java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.BIG_ENDIAN ? value : Integer.reverseBytes(value);
  }

  @Test
  void csopsIsCalledWithTheBuffersOwnSizeAndTheTokensPid() throws Exception {
    LibC libc = mock(LibC.class);
    byte[] raw = new byte[32];
    java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(20, 4242).putInt(28, 9);
    byte[] buffer = new byte[8];
    CodeGuest.byToken(AuditToken.of(raw)).csops(libc, LibC.CS_OPS_ENTITLEMENTS_BLOB, buffer);
    org.mockito.Mockito.verify(libc).csops_audittoken(eq(4242), eq(7), eq(buffer), eq(8L), eq(raw));
    CodeGuest.byPid(77).csops(libc, LibC.CS_OPS_ENTITLEMENTS_BLOB, buffer);
    org.mockito.Mockito.verify(libc).csops(eq(77), eq(7), eq(buffer), eq(8L));
  }

  @Test
  void codeSignatureFormatConstantsMatchCsBlobsH() {
    // xnu osfmk/kern/cs_blobs.h
    assertEquals(0xfade0cc0, SuperBlob.MAGIC); // CSMAGIC_EMBEDDED_SIGNATURE
    assertEquals(0xfade0c02, SuperBlob.CODE_DIRECTORY_MAGIC); // CSMAGIC_CODEDIRECTORY
    assertEquals(0xfade0c01, SuperBlob.REQUIREMENTS_MAGIC); // CSMAGIC_REQUIREMENTS
    assertEquals(0xfade7171, SuperBlob.ENTITLEMENTS_MAGIC); // CSMAGIC_EMBEDDED_ENTITLEMENTS
    assertEquals(0xfade7172, SuperBlob.DER_ENTITLEMENTS_MAGIC); // CSMAGIC_EMBEDDED_DER_ENTITLEMENTS
    assertEquals(0xfade0b01, SuperBlob.CMS_WRAPPER_MAGIC); // CSMAGIC_BLOBWRAPPER
    assertEquals(0, SuperBlob.SLOT_CODE_DIRECTORY); // CSSLOT_CODEDIRECTORY
    assertEquals(1, SuperBlob.SLOT_INFO); // CSSLOT_INFOSLOT
    assertEquals(2, SuperBlob.SLOT_REQUIREMENTS); // CSSLOT_REQUIREMENTS
    assertEquals(3, SuperBlob.SLOT_RESOURCE_DIR); // CSSLOT_RESOURCEDIR
    assertEquals(5, SuperBlob.SLOT_ENTITLEMENTS); // CSSLOT_ENTITLEMENTS
    assertEquals(7, SuperBlob.SLOT_DER_ENTITLEMENTS); // CSSLOT_DER_ENTITLEMENTS
    assertEquals(0x1000, SuperBlob.SLOT_ALTERNATE_CODE_DIRECTORIES); // CSSLOT_ALTERNATE_CODEDIRECTORIES
    assertEquals(5, SuperBlob.MAX_ALTERNATE_CODE_DIRECTORIES); // CSSLOT_ALTERNATE_CODEDIRECTORY_MAX
    assertEquals(0x10000, SuperBlob.SLOT_SIGNATURE); // CSSLOT_SIGNATURESLOT
    assertEquals(0x20100, CodeDirectory.SUPPORTS_SCATTER); // CS_SUPPORTSSCATTER
    assertEquals(0x20200, CodeDirectory.SUPPORTS_TEAM_ID); // CS_SUPPORTSTEAMID
    assertEquals(0x20300, CodeDirectory.SUPPORTS_CODE_LIMIT_64); // CS_SUPPORTSCODELIMIT64
    assertEquals(0x20400, CodeDirectory.SUPPORTS_EXEC_SEGMENT); // CS_SUPPORTSEXECSEG
    assertEquals(0x20500, CodeDirectory.SUPPORTS_RUNTIME); // CS_SUPPORTSRUNTIME
    assertEquals(1, HashType.SHA1.code); // CS_HASHTYPE_SHA1
    assertEquals(2, HashType.SHA256.code); // CS_HASHTYPE_SHA256
    assertEquals(3, HashType.SHA256_TRUNCATED.code); // CS_HASHTYPE_SHA256_TRUNCATED
    assertEquals(4, HashType.SHA384.code); // CS_HASHTYPE_SHA384
    // xnu EXTERNAL_HEADERS/mach-o/loader.h and fat.h
    assertEquals(0xfeedface, MachOParser.MH_MAGIC);
    assertEquals(0xfeedfacf, MachOParser.MH_MAGIC_64);
    assertEquals(0xcefaedfe, MachOParser.MH_CIGAM);
    assertEquals(0xcffaedfe, MachOParser.MH_CIGAM_64);
    assertEquals(0x1d, MachOParser.LC_CODE_SIGNATURE);
    assertEquals(0xcafebabe, MachOParser.FAT_MAGIC);
  }

  /**
   * Every libc function as declared in the headers, in Java types of the same width on LP64 macOS:
   * int / pid_t (__int32_t) / unsigned int / uint32_t → int; size_t / uint64_t → long; a pointer to
   * a buffer → byte[]; socklen_t * → IntByReference (socklen_t is __uint32_t, bsd/i386/_types.h and
   * bsd/arm/_types.h).
   */
  @Test
  void libcSignaturesMatchTheHeaders() {
    Map<String, List<Class<?>>> expected = new TreeMap<>();
    // bsd/sys/socket.h: int getsockopt(int, int, int, void *, socklen_t *)
    expected.put("getsockopt", List.of(int.class, int.class, int.class, int.class, byte[].class, IntByReference.class));
    // bsd/sys/codesign.h: int csops(pid_t pid, unsigned int ops, void *useraddr, size_t usersize)
    expected.put("csops", List.of(int.class, int.class, int.class, byte[].class, long.class));
    // bsd/sys/codesign.h: int csops_audittoken(pid_t, unsigned int, void *, size_t, audit_token_t *)
    expected.put("csops_audittoken", List.of(int.class, int.class, int.class, byte[].class, long.class, byte[].class));
    // libsyscall/wrappers/libproc/libproc.h: int proc_pidinfo(int pid, int flavor, uint64_t arg, void *buffer, int buffersize)
    expected.put("proc_pidinfo", List.of(int.class, int.class, int.class, long.class, byte[].class, int.class));
    // libsyscall/wrappers/libproc/libproc.h: int proc_pidpath(int pid, void *buffer, uint32_t buffersize)
    expected.put("proc_pidpath", List.of(int.class, int.class, byte[].class, int.class));
    // libsyscall/wrappers/libproc/libproc.h (macOS 10.16+):
    // int proc_pidpath_audittoken(audit_token_t *audittoken, void *buffer, uint32_t buffersize)
    expected.put("proc_pidpath_audittoken", List.of(int.class, byte[].class, byte[].class, int.class));
    assertEquals(expected, signatures(LibC.class));
    assertEquals(8, Native.SIZE_T_SIZE, "size_t is mapped as long: macOS is LP64");
    for (Method m : LibC.class.getDeclaredMethods()) {
      // these are system calls or thin wrappers that set errno only on failure; JNA clears errno
      // before the call and throws when it is set after it
      assertTrue(Arrays.asList(m.getExceptionTypes()).contains(LastErrorException.class), m.getName());
    }
  }

  /**
   * Security.framework: OSStatus is SInt32 → int; SecCSFlags is uint32_t (CSCommon.h) → int;
   * SecCodeRef, SecStaticCodeRef, SecRequirementRef, SecCertificateRef, CFDictionaryRef,
   * CFStringRef, CFDataRef → Pointer; an out-parameter {@code X *} → PointerByReference.
   */
  @Test
  void securitySignaturesMatchTheHeaders() {
    Map<String, List<Class<?>>> expected = new TreeMap<>();
    // SecCode.h: OSStatus SecCodeCopyGuestWithAttributes(SecCodeRef host, CFDictionaryRef attributes,
    //            SecCSFlags flags, SecCodeRef *guest)
    expected.put("SecCodeCopyGuestWithAttributes",
        List.of(int.class, Pointer.class, Pointer.class, int.class, PointerByReference.class));
    // SecRequirement.h: OSStatus SecRequirementCreateWithString(CFStringRef text, SecCSFlags flags,
    //                   SecRequirementRef *requirement)
    expected.put("SecRequirementCreateWithString", List.of(int.class, Pointer.class, int.class, PointerByReference.class));
    // SecCode.h: OSStatus SecCodeCheckValidity(SecCodeRef code, SecCSFlags flags, SecRequirementRef requirement)
    expected.put("SecCodeCheckValidity", List.of(int.class, Pointer.class, int.class, Pointer.class));
    // SecCode.h: OSStatus SecCodeCopySigningInformation(SecStaticCodeRef code, SecCSFlags flags,
    //            CFDictionaryRef *information)
    expected.put("SecCodeCopySigningInformation", List.of(int.class, Pointer.class, int.class, PointerByReference.class));
    // trust/headers/SecCertificate.h: CFDataRef SecCertificateCopyData(SecCertificateRef certificate)
    expected.put("SecCertificateCopyData", List.of(Pointer.class, Pointer.class));
    assertEquals(expected, signatures(Security.class));
    for (Method m : Security.class.getDeclaredMethods()) {
      // errors come back as OSStatus; framework code may leave errno set on success, which JNA
      // would turn into a spurious LastErrorException
      assertFalse(Arrays.asList(m.getExceptionTypes()).contains(LastErrorException.class), m.getName());
    }
  }

  /** Functions glibc also exports, to show the symbol probe finds what is there. */
  interface PosixOnly extends com.sun.jna.Library {
    int getsockopt(int fd, int level, int option, byte[] value, IntByReference length);
  }

  @Test
  void aFunctionTheLoadedLibraryLacksIsFoundBeforeItIsCalled() {
    // a real symbol lookup in this machine's libc: glibc has getsockopt but none of Darwin's
    // csops / libproc functions, as an older macOS lacks proc_pidpath_audittoken
    com.sun.jna.NativeLibrary libc = com.sun.jna.NativeLibrary.getInstance(com.sun.jna.Platform.C_LIBRARY_NAME);
    assertEquals(java.util.Optional.empty(), MacPeerBackend.missingFunction(libc, PosixOnly.class));
    if (!com.sun.jna.Platform.isMac()) {
      assertEquals(java.util.Optional.of("csops"), MacPeerBackend.missingFunction(libc, LibC.class));
    }
  }

  /** Name → [return type, parameter types...] of every method the interface declares. */
  private static Map<String, List<Class<?>>> signatures(Class<?> library) {
    Map<String, List<Class<?>>> out = new TreeMap<>();
    for (Method m : library.getDeclaredMethods()) {
      Class<?>[] types = new Class<?>[m.getParameterCount() + 1];
      types[0] = m.getReturnType();
      System.arraycopy(m.getParameterTypes(), 0, types, 1, m.getParameterCount());
      assertFalse(out.containsKey(m.getName()), "overloaded native " + m.getName());
      out.put(m.getName(), List.of(types));
    }
    return out;
  }
}
