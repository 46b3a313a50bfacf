package dev.peerid.windows.authenticode;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.util.Store;

/**
 * The anchors a person would pick from a signed file itself: for each signer, and for each
 * timestamp's signer, the top of the chain the file carries (the leaf itself when the file carries
 * no issuer, as Debian's EFI signatures do). Publisher anchors and timestamp anchors are kept apart.
 */
record AnchorsFromFile(List<X509Certificate> publishers, List<X509Certificate> authorities) {

  static AnchorsFromFile of(Path file) throws Exception {
    Set<X509Certificate> publishers = new LinkedHashSet<>();
    Set<X509Certificate> authorities = new LinkedHashSet<>();
    for (ParsedSignature sig : signatures(file)) {
      Store<X509CertificateHolder> outer = sig.cms.getCertificates();
      List<X509Certificate> pool = Certificates.all(outer);
      publishers.add(top(first(outer, sig.signer), pool));
      AttributeTable unsigned = sig.signer.getUnsignedAttributes();
      if (unsigned == null) {
        continue;
      }
      ASN1EncodableVector tokens = unsigned.getAll(TimestampVerifier.RFC3161);
      for (int i = 0; i < tokens.size(); i++) {
        for (ASN1Encodable t : Attribute.getInstance(tokens.get(i)).getAttrValues().toArray()) {
          CMSSignedData token = new CMSSignedData(ContentInfo.getInstance(t));
          SignerInformation tsa = token.getSignerInfos().getSigners().iterator().next();
          List<X509Certificate> tokenPool = Certificates.all(token.getCertificates());
          tokenPool.addAll(pool);
          Collection<?> inToken = token.getCertificates().getMatches(tsa.getSID());
          authorities.add(top(first(inToken.isEmpty() ? outer : token.getCertificates(), tsa), tokenPool));
        }
      }
      for (SignerInformation counter : sig.signer.getCounterSignatures().getSigners()) {
        authorities.add(top(first(outer, counter), pool));
      }
    }
    return new AnchorsFromFile(List.copyOf(publishers), List.copyOf(authorities));
  }

  /** Every signature of the file, nested ones included, as the verifier parses them. */
  static List<ParsedSignature> signatures(Path file) throws Exception {
    List<ParsedSignature> out = new ArrayList<>();
    for (WinCertificate entry : entries(file)) {
      ParsedSignature.parseWithNested(entry.signedData(), "signature " + (out.size() + 1), out);
    }
    return out;
  }

  static List<WinCertificate> entries(Path file) throws IOException, PeFormatException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      PeImage image = PeImage.parse(channel);
      if (!image.hasCertificateTable()) {
        return List.of();
      }
      byte[] table = new byte[(int) image.certificateTableSize()];
      ByteSource.of(channel).readFully(image.certificateTableOffset(), table);
      return CertificateTable.parse(table);
    }
  }

  private static X509Certificate first(Store<X509CertificateHolder> store, SignerInformation signer) throws Exception {
    @SuppressWarnings("unchecked")
    Collection<X509CertificateHolder> matches = store.getMatches(signer.getSID());
    return Certificates.toJdk(matches.iterator().next());
  }

  private static X509Certificate top(X509Certificate leaf, List<X509Certificate> pool) {
    List<X509Certificate> chain = ChainValidator.bestEffortChain(leaf, pool);
    return chain.get(chain.size() - 1);
  }
}
