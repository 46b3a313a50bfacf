package dev.peerid;

import static dev.peerid.PolicyAssertions.allowed;
import static dev.peerid.PolicyAssertions.denied;
import static dev.peerid.PolicyAssertions.reasonContains;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code certificate leaf|root|N [field] = "..."} against certificates made by openssl. */
class PolicyCertificateTest {
  @TempDir
  static Path dir;

  private static TestCertificates certs;
  private static X509Certificate root;
  private static X509Certificate leaf;
  private static X509Certificate multi;
  private static X509Certificate mail;

  @BeforeAll
  static void makeCertificates() throws Exception {
    TestCertificates.requireOpenssl();
    certs = new TestCertificates(dir);
    root = certs.selfSigned("root", "/O=Test Root Org/CN=Test Root CA");
    leaf = certs.issued("leaf", "/O=Vendor Ltd/OU=TEAM123456/OU=Tools/CN=Vendor Client", "root");
    multi = certs.selfSigned("multi", "/O=MV Org/CN=Multi Client+OU=MV12345678", "-multivalue-rdn");
    mail = certs.selfSigned("mail", "/emailAddress=dev@vendor.example/OU=MAIL12345/CN=Mail \\, Client");
  }

  private static PeerIdentity signedWith(List<X509Certificate> chain) {
    return signedWith(SignatureStatus.VALID, chain);
  }

  private static PeerIdentity signedWith(SignatureStatus status, List<X509Certificate> chain) {
    CodeSignature.Builder b = CodeSignature.builder(SignatureFormat.AUTHENTICODE, status)
        .signer(Signer.builder().chain(chain).trustName("vendor").build());
    if (status != SignatureStatus.VALID) {
      b.reason("the chain ends at a root no trusted entry vouches for");
    }
    return TestPeers.running().platform(Platform.WINDOWS).path("C:\\Program Files\\Vendor\\client.exe")
        .signature(b.build()).build();
  }

  @Test
  void leafSubjectFields() {
    PeerIdentity p = signedWith(List.of(leaf, root));
    allowed("certificate leaf[subject.CN] = \"Vendor Client\"", p);
    allowed("certificate leaf[subject.O] = \"Vendor Ltd\"", p);
    allowed("certificate 0[subject.OU] = \"TEAM123456\"", p);
    allowed("certificate leaf[subject.OU] = \"Tools\"", p);
    Verdict v = denied("certificate leaf[subject.OU] = \"OTHER\"", p);
    reasonContains(v, "the leaf certificate has subject.OU", "\"TEAM123456\"", "\"Tools\"");
    reasonContains(denied("certificate leaf[subject.CN] = \"vendor client\"", p), "subject.CN \"Vendor Client\"");
  }

  @Test
  void rootAndIndexedCertificates() {
    PeerIdentity p = signedWith(List.of(leaf, root));
    allowed("certificate root[subject.CN] = \"Test Root CA\"", p);
    allowed("certificate 1[subject.O] = \"Test Root Org\"", p);
    reasonContains(denied("certificate root[subject.OU] = \"x\"", p), "the root certificate (certificate 1",
        "no OU in its subject");
    reasonContains(denied("certificate 2[subject.CN] = \"x\"", p), "the signer's chain has 2 certificates",
        "no certificate 2");
    // A one-certificate chain: root is the leaf.
    allowed("certificate root[subject.CN] = \"Vendor Client\"", signedWith(List.of(leaf)));
  }

  @Test
  void fingerprintsMatchWhatOpensslPrints() throws Exception {
    PeerIdentity p = signedWith(List.of(leaf, root));
    String colons = certs.opensslFingerprint("leaf");
    String hex = colons.replace(":", "");
    assertEquals(64, hex.length(), colons);
    allowed("certificate leaf[sha256] = \"" + colons + "\"", p);
    allowed("certificate leaf[sha256] = \"" + hex.toLowerCase(Locale.ROOT) + "\"", p);
    allowed("certificate leaf[sha256] = " + hex, p);
    allowed("certificate root[sha256] = \"" + certs.opensslFingerprint("root") + "\"", p);
    Verdict v = denied("certificate root[sha256] = \"" + colons + "\"", p);
    reasonContains(v, "has SHA-256 fingerprint " + Signer.fingerprint(root));
  }

  @Test
  void multiValuedRdnIsRead() {
    PeerIdentity p = signedWith(List.of(multi));
    allowed("certificate leaf[subject.OU] = \"MV12345678\"", p);
    allowed("certificate leaf[subject.CN] = \"Multi Client\"", p);
    allowed("certificate leaf[subject.O] = \"MV Org\"", p);
    denied("certificate leaf[subject.OU] = \"Multi Client\"", p);
  }

  @Test
  void attributesWithoutAStringFormAndEscapedValues() {
    // RFC 2253 prints emailAddress as an OID with a hex value; it is skipped, the rest still reads.
    PeerIdentity p = signedWith(List.of(mail));
    allowed("certificate leaf[subject.OU] = \"MAIL12345\"", p);
    allowed("certificate leaf[subject.CN] = \"Mail , Client\"", p);
    reasonContains(denied("certificate leaf[subject.O] = \"dev@vendor.example\"", p), "no O in its subject");
  }

  @Test
  void certificatesCountOnlyForAValidSignature() {
    PeerIdentity p = signedWith(SignatureStatus.UNTRUSTED, List.of(leaf, root));
    reasonContains(denied("certificate leaf[subject.OU] = \"TEAM123456\"", p), "signature is untrusted",
        "certificate \"CN=Vendor Client,OU=Tools,OU=TEAM123456,O=Vendor Ltd\"",
        "signer facts count only for a valid signature");
  }

  @Test
  void bareKeyHasNoChain() {
    reasonContains(denied("certificate leaf[subject.CN] = \"x\"", TestPeers.running().build()),
        "the signer is a bare key (key id 1a2b3c4d) without a certificate chain");
  }

  @Test
  void appleStyleRequirement() {
    Signer signer = Signer.builder().chain(List.of(leaf, root)).teamId("TEAM123456").identifier("com.vendor.client")
        .trustName("developer-id").build();
    PeerIdentity p = TestPeers.running().platform(Platform.MACOS).signature(TestPeers.macho(signer,
        "appleAnchor", "apple-generic", "hardenedRuntime", "true").build()).build();
    allowed("anchor apple generic and certificate leaf[subject.OU] = \"TEAM123456\""
        + " and identifier \"com.vendor.client\"", p);
  }
}
