import dev.peerid.macos.MacPeerBackend;
import dev.peerid.macos.MachOVerifier;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.PeerBackend;

/**
 * The macOS backend: peers by audit token, Apple code signatures (SecCode, or the pure-Java Mach-O
 * verifier). JNA is an automatic module (it has no module descriptor).
 */
@SuppressWarnings("requires-automatic")
module dev.peerid.macos {
  requires transitive dev.peerid;
  requires com.sun.jna;
  requires com.sun.jna.platform;
  requires java.xml;
  requires org.bouncycastle.pkix;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.util;

  exports dev.peerid.macos;

  // JNA binds the native methods and reads the structures by reflection
  opens dev.peerid.macos to com.sun.jna;

  provides PeerBackend with MacPeerBackend;
  provides ExecutableVerifier with MachOVerifier;
}
