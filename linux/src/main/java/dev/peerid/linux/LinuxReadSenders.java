package dev.peerid.linux;

import dev.peerid.FileIdentity;
import dev.peerid.PeerIdentificationException;
import dev.peerid.ReadSender;
import dev.peerid.spi.PeerProcess;
import dev.peerid.spi.ReadSenders;
import java.io.IOException;

/**
 * The writer of each read of one accepted socket, told by the kernel. With {@code SO_PASSCRED}
 * set, {@code unix_stream_read_generic} stops a read where the writer changes, so the writer of
 * the queue's head (a {@code MSG_PEEK} of one byte, its {@code SCM_CREDENTIALS}) is the writer of
 * everything the next read returns. The verified process is recognised by its pid together with
 * a {@code statx} of {@code exe} through a {@code /proc/<pid>} descriptor opened while it was
 * confirmed alive: that descriptor stays bound to it, so the lookup fails once it is gone (its pid
 * then may name another process) and shows another file once it has exec'd another program. Two
 * system calls per read.
 *
 * <p>Any other writer is pinned by the pidfd the kernel hands out with the peek ({@code SCM_PIDFD},
 * Linux 6.5+; by the inode of that pidfd on pidfs) or, on older kernels, by the start time of the
 * {@code SCM_CREDENTIALS} pid read right after the peek, and given back as a handle to verify on
 * its own. A pid-and-start-time pin can be fooled by a writer that exits and whose pid is reused
 * between its write and that read; a pidfd cannot.
 */
final class LinuxReadSenders implements ReadSenders {
  /** Processes data is accepted from, at most: a client and a few helpers of its own. */
  static final int MAX_ADMITTED = 8;
  private static final byte[] EXE = {'e', 'x', 'e', 0};
  private static final int ECONNRESET = 104;
  /** What SCM_CREDENTIALS shows for ids the kernel never recorded (overflowuid, overflowgid). */
  private static final long OVERFLOW_ID = 65534;
  private static final LinuxLibc.QueueHead END = new LinuxLibc.QueueHead(0, 0, -1, -1, -1);

  private final LinuxLibc libc;
  private final ProcFs proc;
  private final int fd;
  private final boolean pidfds;
  private final long[] pids = new long[MAX_ADMITTED];
  private final int[] dirs = new int[MAX_ADMITTED];
  private final FileIdentity[] files = new FileIdentity[MAX_ADMITTED];
  private final ReadSender[] answers = new ReadSender[MAX_ADMITTED];
  private int count;
  private boolean closed;
  private boolean pidfdsPassed;
  private boolean unlabelledFirstBytes = true;

  /**
   * @param pidfds whether to ask for {@code SO_PASSPIDFD} when another writer shows up, to pin it by a pidfd
   */
  LinuxReadSenders(LinuxLibc libc, ProcFs proc, int fd, boolean pidfds, PeerProcess verified)
      throws PeerIdentificationException {
    this.libc = libc;
    this.proc = proc;
    this.fd = fd;
    this.pidfds = pidfds;
    admit(verified);
  }

  @Override
  public ReadSender head() throws PeerIdentificationException {
    ensureOpen();
    LinuxLibc.QueueHead h = peek(false);
    if (h.isEmpty()) {
      return ReadSender.NOTHING_QUEUED;
    }
    if (h.bytes() == 0) {
      return ReadSender.END_OF_STREAM;
    }
    long pid = h.pid();
    if (pid <= 0 && unlabelledFirstBytes && h.uid() == OVERFLOW_ID && h.gid() == OVERFLOW_ID) {
      // written between the accept and SO_PASSCRED on this socket (a listener not prepared): no
      // writer was recorded; taken as the connecting process's, and only before any labelled data
      return answers[0];
    }
    if (pid != pids[0]) {
      // the verified process's own data labelled before the accept (the kernel labels what waits for
      // an accept) may come before an unlabelled chunk it wrote after it; anyone else's ends the grace
      unlabelledFirstBytes = false;
    }
    if (pid <= 0) {
      throw new PeerIdentificationException("the data next in the connection names no writer this process can see"
          + " (pid 0): it was written from a PID namespace this process cannot see, or before SO_PASSCRED was set"
          + " on the socket (prepare the listening socket with PeerVerifier.prepareListener)");
    }
    for (int i = 0; i < count; i++) {
      if (pids[i] == pid) {
        FileIdentity now;
        try {
          now = libc.statAt(dirs[i], EXE);
        } catch (LinuxLibc.ErrnoException e) {
          throw new PeerIdentificationException("process " + pid + ", whose data is next in the connection, exited"
              + " before it was read: what it ran when it wrote cannot be checked any more", e);
        }
        if (!now.equals(files[i])) {
          throw new PeerIdentificationException("process " + pid + " now runs another file than the one verified"
              + " (it exec'd another program after its verdict, or the file changed); its data is refused");
        }
        return answers[i];
      }
    }
    return other(pid);
  }

  /** A writer that is not accepted (yet): pinned, to verify on its own. */
  private ReadSender other(long pid) throws PeerIdentificationException {
    boolean withPidfd = pidfds && passPidfds();
    LinuxLibc.QueueHead h = peek(withPidfd);
    try {
      if (h.isEmpty() || h.pid() != pid) {
        // only this reader takes data from the socket: the head cannot have changed
        throw new PeerIdentificationException("the head of the connection's queue changed while it was looked at");
      }
      if (h.pidfd() >= 0) {
        long inode = pidfsInode(h.pidfd());
        if (inode >= 0) {
          return ReadSender.other(pid, new LinuxPeers.WriterHandle(pid, inode, -1));
        }
      }
      // no pidfd (a kernel before 6.5, pidfds not on pidfs, or a writer already reaped): its start time
      long start;
      try {
        start = proc.startTime(pid);
      } catch (IOException e) {
        throw new PeerIdentificationException("process " + pid + ", whose data is next in the connection, exited"
            + " before it could be identified", e);
      }
      return ReadSender.other(pid, new LinuxPeers.WriterHandle(pid, -1, start));
    } finally {
      if (h.pidfd() >= 0) {
        libc.close(h.pidfd());
      }
    }
  }

  /**
   * Sets {@code SO_PASSPIDFD} when another writer first shows up (the kernel checks it when the
   * data is received, so data queued before still comes with a pidfd; only a writer already reaped
   * then has none). False when it cannot be set: that writer is pinned by its start time.
   */
  private boolean passPidfds() {
    if (!pidfdsPassed) {
      try {
        libc.enableSocketOption(fd, LinuxLibc.SO_PASSPIDFD);
        pidfdsPassed = true;
      } catch (LinuxLibc.ErrnoException e) {
        return false;
      }
    }
    return true;
  }

  private long pidfsInode(int pidfd) {
    try {
      if (libc.filesystemType(pidfd) != LinuxLibc.PIDFS_SUPER_MAGIC) {
        return -1; // before 6.9 every pidfd shares one anonymous inode: it names nobody
      }
      return libc.inode(pidfd);
    } catch (LinuxLibc.ErrnoException e) {
      return -1;
    }
  }

  private LinuxLibc.QueueHead peek(boolean withPidfd) throws PeerIdentificationException {
    try {
      return libc.peekSender(fd, withPidfd);
    } catch (LinuxLibc.ErrnoException e) {
      if (e.errno() == ECONNRESET) {
        return END; // the peer reset the connection: the read that follows reports it, with no data
      }
      throw new PeerIdentificationException("cannot look at the head of the connection's queue (fd " + fd + "): "
          + e.getMessage(), e);
    }
  }

  @Override
  public void admit(PeerProcess process) throws PeerIdentificationException {
    ensureOpen();
    long pid = process.process().pid();
    FileIdentity file = process.executable().identity();
    for (int i = 0; i < count; i++) {
      if (pids[i] == pid) {
        return; // the same pid can belong to one live process only, and an entry's process is checked each read
      }
    }
    if (count == MAX_ADMITTED) {
      throw new PeerIdentificationException("more than " + MAX_ADMITTED + " processes write to this connection");
    }
    int dir;
    try {
      dir = proc.openProcessDirectory(pid);
    } catch (IOException e) {
      throw new PeerIdentificationException("process " + pid + " exited", e);
    }
    try {
      // alive after the open (its pin says so): the descriptor is bound to it; the file it runs
      // is checked through it before every read, the first one included
      if (process instanceof LinuxPeerProcess linux) {
        linux.confirmAlive();
      } else {
        process.confirmUnchanged();
      }
    } catch (PeerIdentificationException | RuntimeException e) {
      libc.close(dir);
      if (e instanceof PeerIdentificationException p) {
        throw p;
      }
      throw new PeerIdentificationException("cannot pin process " + pid + ": " + e.getMessage(), e);
    }
    pids[count] = pid;
    dirs[count] = dir;
    files[count] = file;
    answers[count] = ReadSender.verified(pid);
    count++;
  }

  private void ensureOpen() throws PeerIdentificationException {
    if (closed) {
      throw new PeerIdentificationException("the sender check is closed");
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (int i = 0; i < count; i++) {
      libc.close(dirs[i]);
    }
    count = 0;
  }
}
