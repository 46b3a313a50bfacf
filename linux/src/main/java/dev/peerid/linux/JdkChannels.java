package dev.peerid.linux;

import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.Objects;

/**
 * The peer of a JDK Unix-domain {@link SocketChannel} (one accepted from
 * {@code ServerSocketChannel.open(StandardProtocolFamily.UNIX)}, JDK 16+), or of a Netty
 * {@code NioDomainSocketChannel}, which wraps one.
 *
 * <p>The JDK's own {@code SO_PEERCRED} option gives user and group names, no pid, and the JDK does
 * not make the socket's descriptor public. This class reads it through the JDK's internal
 * {@code sun.nio.ch.SelChImpl.getFDVal()}, the same on JDK 17, 21 and 25, which needs the JVM
 * started with {@value #REQUIRED_FLAG} (or {@code --add-opens} of the same package, which implies
 * it; on the module path, the name of the module holding peerid instead of {@code ALL-UNNAMED}; in
 * an executable jar's manifest, {@code Add-Exports: java.base/sun.nio.ch}). Without it,
 * {@link #handle} throws, naming the flag: there is no weaker fallback.
 *
 * <p>The descriptor stays the channel's: keep the channel open until the verification is done (a
 * channel closed meanwhile frees its descriptor number for the next file the process opens).
 */
public final class JdkChannels {
  /** The JVM option this class needs. */
  public static final String REQUIRED_FLAG = "--add-exports java.base/sun.nio.ch=ALL-UNNAMED";
  private static final String PACKAGE = "sun.nio.ch";

  private JdkChannels() {}

  /** Holds the internal method, looked up on first use. */
  private static final class Internal {
    static final Class<?> SEL_CH_IMPL = selChImpl();
    static final Method FD_VAL = fdVal();

    private static Class<?> selChImpl() {
      try {
        return Class.forName(PACKAGE + ".SelChImpl");
      } catch (ClassNotFoundException e) {
        return null;
      }
    }

    private static Method fdVal() {
      try {
        return SEL_CH_IMPL == null ? null : SEL_CH_IMPL.getMethod("getFDVal");
      } catch (NoSuchMethodException e) {
        return null;
      }
    }
  }

  /**
   * A handle on the connected socket behind {@code channel}, for {@code PeerVerifier}. The channel
   * keeps ownership of its descriptor.
   *
   * @throws PeerIdentificationException when the JVM lacks {@value #REQUIRED_FLAG} (the message
   *     says so), when the channel is closed, not connected, not a Unix-domain channel, or not
   *     one the JDK made
   */
  public static PeerHandle handle(SocketChannel channel) throws PeerIdentificationException {
    Objects.requireNonNull(channel, "channel");
    if (!channel.isOpen()) {
      throw new PeerIdentificationException("the channel is closed");
    }
    if (!channel.isConnected()) {
      throw new PeerIdentificationException("the channel is not connected");
    }
    try {
      if (!(channel.getLocalAddress() instanceof UnixDomainSocketAddress)) {
        throw new PeerIdentificationException("not a Unix-domain channel (its address is "
            + channel.getLocalAddress() + "): only a local socket's peer can be identified");
      }
    } catch (IOException e) {
      throw new PeerIdentificationException("cannot read the channel's address: " + e, e);
    }
    if (Internal.FD_VAL == null || !Internal.SEL_CH_IMPL.isInstance(channel)) {
      throw new PeerIdentificationException("a " + channel.getClass().getName() + " is not a channel of this JDK's "
          + "own (sun.nio.ch) implementation; for junixsocket's channels, use LinuxPeers.of");
    }
    if (!Object.class.getModule().isExported(PACKAGE, JdkChannels.class.getModule())) {
      throw new PeerIdentificationException("the JDK does not let peerid read a SocketChannel's file descriptor: "
          + "start the JVM with " + REQUIRED_FLAG + " (see the Javadoc of " + JdkChannels.class.getName() + ")");
    }
    int fd;
    try {
      fd = (Integer) Internal.FD_VAL.invoke(channel);
    } catch (IllegalAccessException e) {
      throw new PeerIdentificationException("cannot read the channel's file descriptor (" + e.getMessage()
          + "): start the JVM with " + REQUIRED_FLAG, e);
    } catch (InvocationTargetException e) {
      throw new PeerIdentificationException("cannot read the channel's file descriptor: " + e.getCause(), e);
    }
    if (fd < 0 || !channel.isOpen()) {
      throw new PeerIdentificationException("the channel is closed");
    }
    return PeerHandle.socket(fd);
  }
}
