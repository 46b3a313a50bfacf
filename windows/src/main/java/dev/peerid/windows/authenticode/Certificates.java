package dev.peerid.windows.authenticode;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.util.Store;

/** Converts Bouncy Castle certificate holders to JDK certificates. */
final class Certificates {
  private Certificates() {}

  static X509Certificate toJdk(X509CertificateHolder holder) throws CertificateException {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(holder.getEncoded()));
    } catch (IOException e) {
      throw new CertificateException("cannot encode certificate", e);
    }
  }

  /** Every certificate of a store that parses; the ones that do not are skipped (they cannot be chained). */
  static List<X509Certificate> all(Store<X509CertificateHolder> store) {
    List<X509Certificate> out = new ArrayList<>();
    Collection<X509CertificateHolder> holders = store.getMatches(null);
    for (X509CertificateHolder h : holders) {
      try {
        out.add(toJdk(h));
      } catch (CertificateException skipped) {
        // an unparseable extra certificate cannot be part of a valid chain; the signer's own is checked apart
      }
    }
    return out;
  }
}
