package dev.peerid.linux;

import dev.peerid.FileIdentity;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real libc, counting the calls that tell a full read of a peer (it opens {@code status} and
 * {@code environ}) from a connection served from what a recent full read found (one {@code statx}
 * of {@code exe} through the process's directory), and able to run something right after a peer's
 * pidfd was taken (to make the peer exit at that moment).
 */
final class CountingLinuxLibc extends ForwardingLinuxLibc {
  final AtomicInteger statusOpens = new AtomicInteger();
  final AtomicInteger environOpens = new AtomicInteger();
  final AtomicInteger exeChecksThroughProcDir = new AtomicInteger();
  final AtomicInteger userNamespaceChecksThroughProcDir = new AtomicInteger();
  final AtomicInteger peerGroupsCalls = new AtomicInteger();
  /** Run once, right after the next successful {@code SO_PEERPIDFD}, then forgotten. */
  volatile Runnable afterNextPeerPidfd;

  CountingLinuxLibc(LinuxLibc real) {
    super(real);
  }

  CountingLinuxLibc() {
    this(new JnaLinuxLibc());
  }

  /** Full reads so far: each opens {@code /proc/<pid>/environ} once (and status at least once). */
  int fullReads() {
    return environOpens.get();
  }

  @Override
  public int peerPidfd(int socketFd) throws ErrnoException {
    int pidfd = real.peerPidfd(socketFd);
    Runnable hook = afterNextPeerPidfd;
    if (hook != null) {
      afterNextPeerPidfd = null;
      hook.run();
    }
    return pidfd;
  }

  @Override
  public long[] peerGroups(int socketFd) throws ErrnoException {
    peerGroupsCalls.incrementAndGet();
    return real.peerGroups(socketFd);
  }

  @Override
  public int openReadOnly(byte[] path) throws ErrnoException {
    String p = new String(path, StandardCharsets.ISO_8859_1);
    int nul = p.indexOf('\0');
    p = nul >= 0 ? p.substring(0, nul) : p;
    if (p.endsWith("/status")) {
      statusOpens.incrementAndGet();
    } else if (p.endsWith("/environ")) {
      environOpens.incrementAndGet();
    }
    return real.openReadOnly(path);
  }

  @Override
  public FileIdentity statAt(int dirfd, byte[] name) throws ErrnoException {
    if (name.length == 4 && name[0] == 'e' && name[1] == 'x' && name[2] == 'e') {
      exeChecksThroughProcDir.incrementAndGet();
    }
    return real.statAt(dirfd, name);
  }

  @Override
  public int readlinkAt(int dirfd, byte[] name, byte[] buf) throws ErrnoException {
    if (name.length == 8 && name[0] == 'n' && name[3] == 'u') {
      userNamespaceChecksThroughProcDir.incrementAndGet();
    }
    return real.readlinkAt(dirfd, name, buf);
  }

}
