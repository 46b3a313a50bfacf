package dev.peerid;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/** Reads attribute values (CN, O, OU) from a certificate's subject. */
final class CertificateSubject {
  private CertificateSubject() {}

  /**
   * Every value of the attribute {@code type} in the subject, in order, including each value of a
   * multi-valued RDN ({@code CN=a+OU=b}). Values the RFC 2253 form gives only as hex (attribute
   * types without a string syntax) are left out: they cannot equal a policy string.
   *
   * @throws InvalidNameException when the subject cannot be read as an RFC 2253 name
   */
  static List<String> values(X509Certificate certificate, String type) throws InvalidNameException {
    String name = certificate.getSubjectX500Principal().getName(X500Principal.RFC2253);
    List<String> values = new ArrayList<>();
    for (Rdn rdn : new LdapName(name).getRdns()) {
      Attribute attribute = rdn.toAttributes().get(type);
      if (attribute == null) {
        continue;
      }
      try {
        NamingEnumeration<?> all = attribute.getAll();
        while (all.hasMore()) {
          Object value = all.next();
          if (value instanceof String) {
            values.add((String) value);
          }
        }
      } catch (NamingException e) {
        throw (InvalidNameException) new InvalidNameException("unreadable " + type + " in " + name).initCause(e);
      }
    }
    return values;
  }
}
