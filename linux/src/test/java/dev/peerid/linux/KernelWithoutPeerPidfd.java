package dev.peerid.linux;

import dev.peerid.FileIdentity;
import java.util.concurrent.atomic.AtomicInteger;

/** The real libc, as on a kernel before 6.5 that has no SO_PEERPIDFD (nor pidfd_open). */
final class KernelWithoutPeerPidfd implements LinuxLibc {
  private final LinuxLibc real;
  final AtomicInteger peerPidfdCalls = new AtomicInteger();

  KernelWithoutPeerPidfd(LinuxLibc real) {
    this.real = real;
  }

  @Override
  public PeerCredentials peerCredentials(int socketFd) throws ErrnoException {
    return real.peerCredentials(socketFd);
  }

  @Override
  public int peerPidfd(int socketFd) throws ErrnoException {
    peerPidfdCalls.incrementAndGet();
    throw new ErrnoException("getsockopt(SO_PEERPIDFD)", ENOPROTOOPT, "Protocol not available");
  }

  @Override
  public long[] peerGroups(int socketFd) throws ErrnoException {
    return real.peerGroups(socketFd);
  }

  @Override
  public int pidfdOpen(long pid) throws ErrnoException {
    throw new ErrnoException("pidfd_open", ENOSYS, "Function not implemented");
  }

  @Override
  public boolean hasExited(int pidfd) throws ErrnoException {
    return real.hasExited(pidfd);
  }

  @Override
  public void close(int fd) {
    real.close(fd);
  }

  @Override
  public int openReadOnly(byte[] path) throws ErrnoException {
    return real.openReadOnly(path);
  }

  @Override
  public int read(int fd, byte[] buf, int length) throws ErrnoException {
    return real.read(fd, buf, length);
  }

  @Override
  public int readlink(byte[] path, byte[] buf) throws ErrnoException {
    return real.readlink(path, buf);
  }

  @Override
  public FileIdentity stat(byte[] path) throws ErrnoException {
    return real.stat(path);
  }

  @Override
  public long filesystemType(int fd) throws ErrnoException {
    return real.filesystemType(fd);
  }

  @Override
  public long inode(int fd) throws ErrnoException {
    return real.inode(fd);
  }

  @Override
  public FileIdentity statAt(int dirfd, byte[] name) throws ErrnoException {
    return real.statAt(dirfd, name);
  }

  @Override
  public int openDirectoryPath(byte[] path) throws ErrnoException {
    return real.openDirectoryPath(path);
  }
}
