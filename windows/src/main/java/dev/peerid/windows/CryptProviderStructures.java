package dev.peerid.windows;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.platform.win32.WinBase;

/**
 * The leading fields of the provider structures WinVerifyTrust leaves behind, read to reach the
 * signer certificate: CRYPT_PROVIDER_SGNR → pasCertChain[0] (CRYPT_PROVIDER_CERT) → pCert
 * (CERT_CONTEXT) → pbCertEncoded/cbCertEncoded. Only prefixes are mapped: reading less than the
 * real structure is safe, and the prefixes are stable across Windows versions.
 */
final class CryptProviderStructures {
  private CryptProviderStructures() {}

  /** CRYPT_PROVIDER_SGNR prefix. */
  @Structure.FieldOrder({"cbStruct", "sftVerifyAsOf", "csCertChain", "pasCertChain"})
  public static final class Signer extends Structure {
    public int cbStruct;
    public WinBase.FILETIME sftVerifyAsOf;
    public int csCertChain;
    public Pointer pasCertChain;

    public Signer() {
      super();
    }

    Signer(Pointer p) {
      super(p);
      read();
    }

    int offsetOf(String field) {
      return fieldOffset(field);
    }
  }

  /** CRYPT_PROVIDER_CERT prefix. */
  @Structure.FieldOrder({"cbStruct", "pCert"})
  public static final class Cert extends Structure {
    public int cbStruct;
    public Pointer pCert;

    public Cert() {
      super();
    }

    Cert(Pointer p) {
      super(p);
      read();
    }

    int offsetOf(String field) {
      return fieldOffset(field);
    }
  }

  /** CERT_CONTEXT prefix. */
  @Structure.FieldOrder({"dwCertEncodingType", "pbCertEncoded", "cbCertEncoded"})
  public static final class CertContext extends Structure {
    public int dwCertEncodingType;
    public Pointer pbCertEncoded;
    public int cbCertEncoded;

    public CertContext() {
      super();
    }

    CertContext(Pointer p) {
      super(p);
      read();
    }

    int offsetOf(String field) {
      return fieldOffset(field);
    }
  }
}
