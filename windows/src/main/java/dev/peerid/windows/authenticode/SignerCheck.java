package dev.peerid.windows.authenticode;

import dev.peerid.SignatureStatus;
import dev.peerid.Signer;
import dev.peerid.Timestamp;
import dev.peerid.TrustStore;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSSignerDigestMismatchException;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;

/** Verifies one parsed signature against the computed image digest and the trust store. */
final class SignerCheck {

  /** One signature's verdict; {@code signer} is empty when the signer certificate could not be read. */
  record Result(String label, SignatureStatus status, Optional<Signer> signer, List<String> reasons,
      Optional<Instant> timestamp, String timestampKind, List<Timestamp> timestamps, boolean sectionwise) {}

  private final ChainValidator chains;
  private final TimestampVerifier timestamps;

  SignerCheck(TrustStore trust) {
    this.chains = new ChainValidator(trust);
    this.timestamps = new TimestampVerifier(new ChainValidator(trust.timestampTrust()), chains);
  }

  /**
   * @param imageDigest the whole-file image hash
   * @param sectionwise the section-wise image hash, when the whole-file one does not match and the
   *                    layout has one ({@link SectionwiseHash})
   */
  Result check(ParsedSignature sig, byte[] imageDigest, Optional<SectionwiseHash.Result> sectionwise, Instant now) {
    String label = sig.label;
    List<String> notes = new ArrayList<>();
    sig.dataTypeNote.ifPresent(notes::add);
    boolean bySections = false;
    if (!MessageDigest.isEqual(imageDigest, sig.signedImageDigest)) {
      Optional<SectionwiseHash.Result> matching = sectionwise
          .filter(h -> MessageDigest.isEqual(h.digest(), sig.signedImageDigest));
      if (matching.isEmpty()) {
        return invalid(label, label + ": image " + sig.digestAlgorithm + " digest does not match the signed digest"
            + " (the file was modified after signing" + (sectionwise.isPresent()
                ? "; neither the whole-file nor the section-wise PE/COFF hash matches)" : ")"));
      }
      if (!matching.get().gapsAreZero()) {
        return invalid(label, label + ": the signed digest matches only the section-wise PE/COFF hash, which leaves"
            + " out " + matching.get().describeGaps() + " that are not all zero: refused, since the signature does"
            + " not cover them");
      }
      bySections = true;
      notes.add(label + ": the signed digest matches the section-wise PE/COFF hash (as UEFI firmware, shim and"
          + " sbverify compute it), not the whole-file hash; the " + matching.get().describeGaps()
          + " it leaves out, which the loader does not map, are all zero");
    }
    Collection<X509CertificateHolder> matches = sig.signerCertificates();
    if (matches.isEmpty()) {
      return invalid(label, label + ": the signer certificate is not in the SignedData");
    }
    X509CertificateHolder holder = matches.iterator().next();
    X509Certificate leaf;
    try {
      leaf = Certificates.toJdk(holder);
    } catch (CertificateException e) {
      Diagnostics.debug(label + ": signer certificate", e);
      return invalid(label, label + ": the signer certificate is not a valid X.509 certificate");
    }
    try {
      // By key, not by certificate: Bouncy Castle would also demand the certificate be valid at the
      // signingTime attribute, an unauthenticated claim; validity is judged by the chain check below.
      if (!sig.signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(leaf.getPublicKey()))) {
        return invalid(label, label + ": the CMS signature does not verify with the signer certificate");
      }
    } catch (CMSSignerDigestMismatchException e) {
      return invalid(label, label + ": the messageDigest attribute does not match SpcIndirectDataContent");
    } catch (Exception e) {
      Diagnostics.debug(label + ": CMS signature", e);
      return invalid(label, label + ": the CMS signature cannot be verified (its algorithm or value is malformed"
          + " or unsupported)");
    }
    Optional<String> usage = ChainValidator.usageProblem(leaf, ChainValidator.CODE_SIGNING);
    if (usage.isPresent()) {
      return invalid(label, label + ": " + usage.get());
    }
    List<String> reasons = new ArrayList<>(notes);
    TimestampVerifier.Outcome ts = timestamps.verify(sig.signer, sig.cms.getCertificates(), label);
    ts.notes().forEach(n -> reasons.add(label + ": " + n));
    ts.remarks().forEach(n -> reasons.add(label + ": " + n));
    Date at = ts.time().orElse(Date.from(now));
    ChainValidator.Outcome chain = chains.validate(leaf, Certificates.all(sig.cms.getCertificates()), at);
    Signer.Builder signer = Signer.builder().chain(chain.chain());
    SignatureStatus status;
    if (chain.revoked()) {
      status = SignatureStatus.REVOKED;
      reasons.add(label + ": " + chain.reason());
    } else if (chain.trusted()) {
      status = SignatureStatus.VALID;
      signer.trustName(chain.trustName().get());
    } else {
      status = SignatureStatus.UNTRUSTED;
      reasons.add(label + ": " + chain.reason());
    }
    return new Result(label, status, Optional.of(signer.build()), reasons,
        ts.time().map(Date::toInstant), ts.kind(), ts.timestamps(), bySections);
  }

  private static Result invalid(String label, String reason) {
    return new Result(label, SignatureStatus.INVALID, Optional.empty(), List.of(reason), Optional.empty(), null,
        List.of(), false);
  }
}
