import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.PeerBackend;
import dev.peerid.windows.WindowsPeerBackend;
import dev.peerid.windows.authenticode.AuthenticodeVerifier;

/**
 * The Windows backend: peers of named pipes and AF_UNIX sockets, Authenticode (WinVerifyTrust, or
 * the pure-Java verifier). JNA is an automatic module (it has no module descriptor).
 */
@SuppressWarnings("requires-automatic")
module dev.peerid.windows {
  requires transitive dev.peerid;
  requires com.sun.jna;
  requires com.sun.jna.platform;
  requires org.bouncycastle.pkix;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.util;

  exports dev.peerid.windows;
  exports dev.peerid.windows.authenticode;

  // JNA binds the native methods and reads the structures by reflection
  opens dev.peerid.windows to com.sun.jna;

  provides PeerBackend with WindowsPeerBackend;
  provides ExecutableVerifier with AuthenticodeVerifier;
}
