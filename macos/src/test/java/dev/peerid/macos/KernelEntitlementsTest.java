package dev.peerid.macos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The kernel's entitlements blob as csops copies it out, and how it is joined with Security.framework's. */
class KernelEntitlementsTest {
  static final Optional<List<String>> NO_DICT = Optional.empty();

  static byte[] blob(int magic, int length, String payload) {
    byte[] p = payload.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + p.length).putInt(magic).putInt(length).put(p).array();
  }

  static String refusal(byte[] blob) {
    return KernelEntitlements.parse(blob).reconcile(NO_DICT, false).refusal().orElseThrow();
  }

  @Test
  void aZeroHeaderIsNoEntitlements() {
    KernelEntitlements.Reconciled r = KernelEntitlements.parse(new byte[8]).reconcile(NO_DICT, false);
    assertEquals(List.of(), r.keys());
    assertTrue(r.refusal().isEmpty());
  }

  @Test
  void aBlobWithAnEmptyPlistIsNoEntitlements() {
    KernelEntitlements.Reconciled r = KernelEntitlements.parse(blob(0xfade7171, 8, "")).reconcile(NO_DICT, false);
    assertEquals(List.of(), r.keys());
    assertTrue(r.refusal().isEmpty());
  }

  @Test
  void malformedHeadersAreRefusedWithWhatIsWrong() {
    assertTrue(refusal(new byte[5]).contains("less than its 8-byte header"));
    assertTrue(refusal(blob(0xfade7171, 7, "")).contains("claims 7 bytes"));
    assertTrue(refusal(blob(0xfade7171, 100, "<plist/>")).contains("claims 100 bytes in a buffer of 16"));
    assertTrue(refusal(blob(0xfade0cc0, 8, "")).contains("magic 0xfade0cc0"));
    assertTrue(refusal(blob(0xfade7172, 8, "")).contains("DER form"));
    assertTrue(refusal(blob(0xfade7171, 14, "<dict>")).contains("not a readable entitlements plist"));
  }

  @Test
  void onlyTheLengthTheBlobClaimsIsParsed() {
    // bytes after the claimed length are not part of the blob (a reused buffer)
    String plist = "<plist><dict><key>a</key><true/></dict></plist>";
    byte[] b = blob(0xfade7171, 8 + plist.length(), plist + "<garbage");
    assertEquals(List.of("a"), KernelEntitlements.parse(b).reconcile(NO_DICT, false).keys());
  }

  @Test
  void theUnionKeepsSecurityFrameworksOrderThenTheKernelsExtras() {
    KernelEntitlements kernel = KernelEntitlements.keys(List.of("b", "c"));
    assertEquals(List.of("a", "b", "c"), kernel.reconcile(Optional.of(List.of("a", "b")), false).keys());
  }

  /** Arbitrary bytes as the kernel's blob: a result, never an exception. */
  @FuzzTest(maxDuration = "30s")
  void parse(byte[] data) {
    KernelEntitlements.Reconciled r = KernelEntitlements.parse(data).reconcile(NO_DICT, false);
    assertNotNull(r.keys());
    r.refusal().ifPresent(reason -> assertTrue(reason.startsWith("cannot establish"), reason));
  }
}
