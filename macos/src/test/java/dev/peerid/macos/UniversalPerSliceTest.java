package dev.peerid.macos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.SignatureStatus;
import dev.peerid.Signer;
import dev.peerid.TrustStore;
import dev.peerid.testing.RealFiles;
import dev.peerid.Verdict;
import dev.peerid.VerdictJson;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real universal Developer ID binary whose slices are signed separately, with different
 * identifiers and one team: {@code bin/sentry-cli} of the npm package {@code @sentry/cli-darwin@3.8.0}
 * (x86_64 signed as {@code sentry-cli-Darwin-universal}, arm64 as {@code sentry_cli-ed605fe0983d3ac0},
 * team 97JCY7859U). {@code codesign -v} accepts it; so must we, slice by slice.
 */
class UniversalPerSliceTest {
  static final RealFiles.Npm SENTRY_CLI = new RealFiles.Npm("@sentry/cli-darwin", "3.8.0",
      "711d8d61e448b2e8a10c217acbfe206db7456e0072f041136e3bf7935fdf5cfa");
  static final String TEAM = "97JCY7859U";
  static final String X86_ID = "sentry-cli-Darwin-universal";
  static final String ARM_ID = "sentry_cli-ed605fe0983d3ac0";

  static Path sentry;
  @TempDir Path tmp;

  @BeforeAll
  static void fetch() throws Exception {
    sentry = RealFiles.npm(SENTRY_CLI, "package/bin/sentry-cli");
  }

  private static CodeSignature verify(Path file) throws Exception {
    return new MachOVerifier().verify(ExecutableFile.of(file), VerificationContext.of(TrustStore.empty())).signature();
  }

  private static PeerVerifier verifier(String policy) throws Exception {
    return PeerVerifier.builder().trustStore(TrustStore.empty()).policy(Policy.parse(policy))
        .verifiers(List.of(new MachOVerifier())).threads(1).build();
  }

  @Test
  void eachSliceVerifiesOnItsOwnAndTheFileIsAsGoodAsTheWorst() throws Exception {
    CodeSignature sig = verify(sentry);
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig.toString());
    assertEquals("apple-generic", sig.attribute("appleAnchor").orElseThrow(), "both slices chain to Apple");
    assertEquals(TEAM, sig.signer().flatMap(Signer::teamId).orElseThrow(), "the slices agree on the team");
    assertTrue(sig.signer().flatMap(Signer::identifier).isEmpty(), "the slices disagree on the identifier");
    assertTrue(sig.attribute("identifier").isEmpty());

    assertEquals(List.of("x86_64", "arm64"), sig.slices().stream().map(CodeSignature.Slice::architecture).toList());
    CodeSignature x86 = sig.slice("x86_64").orElseThrow();
    CodeSignature arm = sig.slice("arm64").orElseThrow();
    for (CodeSignature slice : List.of(x86, arm)) {
      assertEquals(SignatureStatus.UNTRUSTED, slice.status(), slice.toString());
      assertEquals(TEAM, slice.signer().flatMap(Signer::teamId).orElseThrow());
      assertEquals("apple-generic", slice.attribute("appleAnchor").orElseThrow());
      assertEquals("true", slice.attribute("hardenedRuntime").orElseThrow());
    }
    assertEquals(X86_ID, x86.signer().flatMap(Signer::identifier).orElseThrow());
    assertEquals(ARM_ID, arm.signer().flatMap(Signer::identifier).orElseThrow());
    assertFalse(x86.attribute("cdhash").equals(arm.attribute("cdhash")));
  }

  @Test
  void signerFactsHoldForTheFileOnlyWhenTheyHoldForEverySlice() throws Exception {
    try (PeerVerifier v = verifier("anchor apple generic and team = \"" + TEAM + "\"")) {
      Verdict team = v.verifyFile(sentry);
      assertTrue(team.isAllowed(), team.reasons().toString());
    }
    try (PeerVerifier v = verifier("anchor apple generic and identifier = \"" + ARM_ID + "\"")) {
      Verdict identifier = v.verifyFile(sentry);
      assertFalse(identifier.isAllowed(), "the x86_64 slice has another identifier");
      assertTrue(identifier.reasons().toString().contains("x86_64: identifier = \"" + ARM_ID
          + "\" does not hold: the signer's signing identifier is \"" + X86_ID + "\""), identifier.reasons().toString());
      // one slice judged on its own, as `peerid verify --arch arm64` does
      Verdict arm = v.verifyFile(sentry, "arm64");
      assertTrue(arm.isAllowed(), arm.reasons().toString());
      Verdict x86 = v.verifyFile(sentry, "x86_64");
      assertFalse(x86.isAllowed());
      Verdict none = v.verifyFile(sentry, "arm64e");
      assertFalse(none.isAllowed());
      assertEquals(List.of("the file has no arm64e slice (its slices: x86_64, arm64)"), none.reasons());
    }
    try (PeerVerifier v = verifier("signed")) {
      assertFalse(v.verifyFile(sentry).isAllowed(), "an empty trust store trusts nobody");
    }
  }

  @Test
  void theJsonNamesEverySlice() throws Exception {
    try (PeerVerifier v = verifier("anchor apple generic and team = \"" + TEAM + "\"")) {
      Map<String, Object> json = VerdictJson.toMap(v.verifyFile(sentry), null);
      assertEquals("untrusted", json.get("status"));
      assertEquals("allow", json.get("decision"));
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> slices = (List<Map<String, Object>>) json.get("slices");
      assertEquals(2, slices.size());
      assertEquals("x86_64", slices.get(0).get("arch"));
      assertEquals(X86_ID, slices.get(0).get("identifier"));
      assertEquals(TEAM, slices.get(0).get("team"));
      assertEquals("untrusted", slices.get(0).get("status"));
      assertEquals("arm64", slices.get(1).get("arch"));
      assertEquals(ARM_ID, slices.get(1).get("identifier"));
      assertTrue(((List<?>) slices.get(1).get("reasons")).toString().contains("no trust-store entry"), slices.toString());
      assertTrue(VerdictJson.toJson(v.verifyFile(sentry)).contains("\"slices\":[{\"arch\":\"x86_64\",\"identifier\":\""
          + X86_ID + "\",\"team\":\"" + TEAM + "\",\"status\":\"untrusted\""));
    }
  }

  @Test
  void aUniversalFileWithAnUnsignedSliceStaysNotFullySigned() throws Exception {
    byte[] file = Files.readAllBytes(sentry);
    List<MachOSlice> slices = MachOParser.parse(ByteSource.of(file));
    byte[] x86 = java.util.Arrays.copyOfRange(file, (int) slices.get(0).offset(),
        (int) (slices.get(0).offset() + slices.get(0).size()));
    byte[] arm = java.util.Arrays.copyOfRange(file, (int) slices.get(1).offset(),
        (int) (slices.get(1).offset() + slices.get(1).size()));
    Path half = Files.write(tmp.resolve("half-signed"), Tamper.fat(false, x86, Tamper.unsign(arm)));
    CodeSignature sig = verify(half);
    assertEquals(SignatureStatus.UNSIGNED, sig.status(), sig.toString());
    assertEquals(SignatureStatus.UNSIGNED, sig.slice("arm64").orElseThrow().status());
    assertEquals(SignatureStatus.UNTRUSTED, sig.slice("x86_64").orElseThrow().status());
    try (PeerVerifier v = verifier("anchor apple generic and team = \"" + TEAM + "\"")) {
      Verdict team = v.verifyFile(half);
      assertFalse(team.isAllowed(), "the unsigned arm64 slice has no team");
      assertTrue(v.verifyFile(half, "x86_64").isAllowed(), "the signed slice on its own still verifies");
    }
  }
}
