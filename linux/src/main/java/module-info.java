import dev.peerid.linux.LinuxPeerBackend;
import dev.peerid.linux.ima.ImaVerifier;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.PeerBackend;

/**
 * The Linux backend: peers of Unix sockets (SO_PEERCRED, pidfd, /proc) and IMA signatures
 * (security.ima or an evmctl sidecar). JNA is an automatic module (it has no module descriptor).
 * {@code JdkChannels} reads a JDK channel's descriptor through {@code sun.nio.ch}: on the module
 * path that takes {@code --add-exports java.base/sun.nio.ch=dev.peerid.linux}.
 */
@SuppressWarnings("requires-automatic")
module dev.peerid.linux {
  requires transitive dev.peerid;
  requires transitive org.newsclub.net.unix;
  requires com.sun.jna;
  requires org.bouncycastle.pkix;
  requires org.bouncycastle.provider;

  exports dev.peerid.linux;
  exports dev.peerid.linux.ima;

  // JNA binds the native methods and reads the structures by reflection
  opens dev.peerid.linux to com.sun.jna;
  opens dev.peerid.linux.ima to com.sun.jna;

  uses ExecutableVerifier;
  provides PeerBackend with LinuxPeerBackend;
  provides ExecutableVerifier with ImaVerifier;
}
