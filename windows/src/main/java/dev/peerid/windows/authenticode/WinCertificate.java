package dev.peerid.windows.authenticode;

/**
 * One WIN_CERTIFICATE entry of the certificate table.
 *
 * @param offset   offset of the entry inside the table
 * @param revision wRevision (0x0200 is the only one accepted)
 * @param type     wCertificateType (0x0002, PKCS#7 SignedData, is the only one accepted)
 */
public record WinCertificate(int offset, int revision, int type, byte[] signedData) {
  public WinCertificate {
    signedData = signedData.clone();
  }

  /** The DER ContentInfo (a copy). */
  @Override
  public byte[] signedData() {
    return signedData.clone();
  }

  /** Same bytes without the copy, for the verifier inside this package. */
  byte[] signedDataUnsafe() {
    return signedData;
  }
}
