package dev.peerid;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** Builds real {@link PeerIdentity} values for policy tests. */
final class TestPeers {
  static final String KEY_ID = "1a2b3c4d";
  static final String PATH = "/opt/vendor/bin/client";
  static final String SHA256_HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

  private Platform platform = Platform.LINUX;
  private ProcessInfo process = new ProcessInfo(4242, 1000, 100, List.of(100L, 27L), Optional.of("alice"),
      Optional.of("staff"), "pidfd", false);
  private String path = PATH;
  private Digest sha256;
  private CodeSignature signature = validIma("vendor");
  private Optional<String> interpreter = Optional.empty();
  private boolean traced;
  private long tracerPid = ProcessInfo.UNKNOWN;
  private List<String> injected = new ArrayList<>();
  private Namespaces namespaces = Namespaces.SERVERS;
  private MemoryProtection protection = MemoryProtection.UNKNOWN;
  private boolean pathNamesTheFile = true;

  static TestPeers running() {
    return new TestPeers();
  }

  static TestPeers file() {
    TestPeers p = new TestPeers();
    p.process = null;
    return p;
  }

  static CodeSignature validIma(String trustName) {
    return CodeSignature.builder(SignatureFormat.IMA, SignatureStatus.VALID)
        .signer(Signer.builder().keyId(KEY_ID).trustName(trustName).build()).build();
  }

  static CodeSignature untrustedIma() {
    return CodeSignature.builder(SignatureFormat.IMA, SignatureStatus.UNTRUSTED)
        .signer(Signer.builder().keyId(KEY_ID).build())
        .reason("no trusted key has key id " + KEY_ID).build();
  }

  static CodeSignature revokedIma() {
    return CodeSignature.builder(SignatureFormat.IMA, SignatureStatus.REVOKED)
        .signer(Signer.builder().keyId(KEY_ID).trustName("vendor").build())
        .reason("key id " + KEY_ID + " is on the revocation list").build();
  }

  static CodeSignature invalidIma() {
    return CodeSignature.invalid(SignatureFormat.IMA, "the file's sha256 digest does not match the signed digest");
  }

  static CodeSignature unsigned() {
    return CodeSignature.unsigned(SignatureFormat.NONE, "no security.ima xattr and no .sig sidecar");
  }

  /** A valid Apple signature with the given attributes (name, value, name, value ...). */
  static CodeSignature.Builder macho(Signer signer, String... attributes) {
    CodeSignature.Builder b = CodeSignature.builder(SignatureFormat.MACHO, SignatureStatus.VALID).signer(signer);
    for (int i = 0; i < attributes.length; i += 2) {
      b.attribute(attributes[i], attributes[i + 1]);
    }
    return b;
  }

  TestPeers platform(Platform p) {
    platform = p;
    return this;
  }

  TestPeers process(long uid, long gid, String user, String group) {
    process = new ProcessInfo(4242, uid, gid, List.of(gid), Optional.ofNullable(user), Optional.ofNullable(group),
        "pidfd", false);
    return this;
  }

  TestPeers path(String p) {
    path = p;
    return this;
  }

  TestPeers sha256(Digest d) {
    sha256 = d;
    return this;
  }

  TestPeers sha256Hex(String hex) {
    return sha256(Digest.of("SHA-256", HexFormat.of().parseHex(hex)));
  }

  TestPeers signature(CodeSignature s) {
    signature = s;
    return this;
  }

  TestPeers interpreter(String name) {
    interpreter = Optional.of(name);
    return this;
  }

  TestPeers traced(long pid) {
    traced = true;
    tracerPid = pid;
    return this;
  }

  TestPeers namespaces(Namespaces n) {
    namespaces = n;
    return this;
  }

  TestPeers protection(MemoryProtection p) {
    protection = p;
    return this;
  }

  TestPeers pathNamesTheFile(boolean names) {
    pathNamesTheFile = names;
    return this;
  }

  TestPeers injected(String library) {
    injected.add(library);
    return this;
  }

  PeerIdentity build() {
    ExecutableInfo exe = new ExecutableInfo(path, new FileIdentity(2049, 77, 123456, 1, 2), Optional.ofNullable(sha256),
        pathNamesTheFile);
    RiskFacts risks = new RiskFacts(interpreter, traced, tracerPid, injected, namespaces, protection);
    return process == null ? PeerIdentity.ofFile(platform, exe, signature, risks)
        : PeerIdentity.ofProcess(platform, process, exe, signature, risks);
  }
}
