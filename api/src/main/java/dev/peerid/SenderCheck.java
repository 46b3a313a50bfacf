package dev.peerid;

import dev.peerid.spi.ReadSenders;
import java.util.Objects;

/**
 * Checks, before each read of a verified peer's socket, which process wrote what that read would
 * return. The process that connected is not the only one that can write to a connection: it can
 * fork (the child keeps the socket), hand the socket to another process over {@code SCM_RIGHTS},
 * or exec another program after its verdict. Read only when {@link #next()} says
 * {@link ReadSender#isVerified() verified}, read once, and ask again before the next read; data of
 * any other writer stays queued until that writer is verified on its own and {@link #admit
 * admitted}, or the connection is closed. Made by {@link PeerSession#senderCheck}; close it (the
 * session stays the caller's). One reader at a time.
 *
 * <p>On Linux this asks the kernel to label every write with its writer ({@code SO_PASSCRED},
 * {@code SO_PASSPIDFD}): a read then never returns two writers' data, and a {@code MSG_PEEK} of
 * the queue's head names the writer of the next read. For the verified process it also checks,
 * through its pinned {@code /proc/<pid>}, that it still runs the file that was verified.
 */
public final class SenderCheck implements AutoCloseable {
  private final ReadSenders senders;

  SenderCheck(ReadSenders senders) {
    this.senders = Objects.requireNonNull(senders, "senders");
  }

  /**
   * The writer of the next read's data, looked at without taking it. Throws when the writer cannot
   * be identified, or is a process accepted before that now runs another file: close the
   * connection then.
   */
  public ReadSender next() throws PeerIdentificationException {
    return senders.head();
  }

  /**
   * Accepts data from the process of {@code other}, a session opened on the handle of a
   * {@link ReadSender.Kind#OTHER} writer and allowed (e.g. a child of the verified client running
   * the same signed file). Throws {@link PeerDeniedException} for a denied session. The session
   * stays the caller's to close.
   */
  public void admit(PeerSession other) throws PeerVerificationException {
    Objects.requireNonNull(other, "other");
    other.requireAllowed();
    if (other.process() == null) {
      throw new PeerIdentificationException("the other writer's process was never pinned");
    }
    senders.admit(other.process());
  }

  @Override
  public void close() {
    senders.close();
  }
}
