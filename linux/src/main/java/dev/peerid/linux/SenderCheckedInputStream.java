package dev.peerid.linux;

import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.PeerSession;
import dev.peerid.PeerVerificationException;
import dev.peerid.PeerVerifier;
import dev.peerid.ReadSender;
import dev.peerid.SenderCheck;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.util.Objects;
import org.newsclub.net.unix.AFUNIXSocket;

/**
 * A verified peer's junixsocket connection, read so that every byte returned was written by the
 * verified process (or by another process verified on its own and allowed): before each read of
 * the socket, {@link SenderCheck#next()} names the writer of what that read returns. Data of a
 * writer that is denied, or cannot be identified, is never returned: the socket is closed and the
 * read throws {@link RefusedWriterException}. Made by {@link LinuxPeers#senderCheckedInput}.
 */
final class SenderCheckedInputStream extends InputStream {
  private final PeerVerifier verifier;
  private final AFUNIXSocket socket;
  private final InputStream in;
  private final SenderCheck check;
  private final LinuxLibc libc;
  private final int fd;

  SenderCheckedInputStream(PeerVerifier verifier, PeerSession session, AFUNIXSocket socket, LinuxLibc libc)
      throws IOException, PeerVerificationException {
    this.verifier = Objects.requireNonNull(verifier, "verifier");
    this.socket = Objects.requireNonNull(socket, "socket");
    this.libc = libc;
    PeerHandle handle = LinuxPeers.of(socket);
    this.fd = ((LinuxPeers.JunixsocketHandle) handle).fd();
    this.in = socket.getInputStream();
    this.check = session.senderCheck(handle);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    while (true) {
      ReadSender sender;
      try {
        sender = check.next();
      } catch (PeerIdentificationException e) {
        throw refuse(e.getMessage(), e);
      }
      switch (sender.kind()) {
        case VERIFIED:
          return in.read(b, off, len); // one recv: the kernel stops it where the writer changes
        case END_OF_STREAM:
          return -1;
        case NOTHING_QUEUED:
          awaitData();
          break;
        case OTHER:
          admitOrRefuse(sender);
          break;
        default:
          throw refuse("unexpected answer " + sender, null);
      }
    }
  }

  private void awaitData() throws IOException {
    int timeout = socket.getSoTimeout();
    boolean ready;
    try {
      ready = libc.awaitReadable(fd, timeout == 0 ? -1 : timeout);
    } catch (LinuxLibc.ErrnoException e) {
      throw new IOException("cannot wait for data on the connection: " + e.getMessage(), e);
    }
    if (!ready) {
      throw new SocketTimeoutException("no data within " + timeout + " ms");
    }
  }

  /** Another writer: verified on its own (through the verifier's cache); admitted if allowed. */
  private void admitOrRefuse(ReadSender sender) throws IOException {
    try (PeerSession other = verifier.open(sender.handle().orElseThrow())) {
      if (!other.verdict().isAllowed()) {
        throw refuse("process " + sender.pid() + " wrote to the connection and is not allowed: "
            + String.join("; ", other.verdict().reasons()), null);
      }
      check.admit(other);
    } catch (PeerVerificationException e) {
      throw refuse("process " + sender.pid() + " wrote to the connection and cannot be admitted: " + e.getMessage(), e);
    }
  }

  private RefusedWriterException refuse(String why, Exception cause) {
    close();
    return new RefusedWriterException(why, cause);
  }

  @Override
  public int available() throws IOException {
    return 0; // what is queued may be another writer's
  }

  @Override
  public void close() {
    check.close();
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing drops the refused data; nothing more to do
    }
  }
}
