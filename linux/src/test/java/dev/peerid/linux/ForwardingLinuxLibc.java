package dev.peerid.linux;

import dev.peerid.FileIdentity;

/**
 * The real native layer with every call passed through: test doubles (an older kernel, counters,
 * injected failures) extend it and override only the calls they change, so a call added to
 * {@link LinuxLibc} needs adding here once.
 */
class ForwardingLinuxLibc implements LinuxLibc {
  final LinuxLibc real;

  ForwardingLinuxLibc(LinuxLibc real) {
    this.real = real;
  }

  @Override
  public PeerCredentials peerCredentials(int socketFd) throws ErrnoException {
    return real.peerCredentials(socketFd);
  }

  @Override
  public int peerPidfd(int socketFd) throws ErrnoException {
    return real.peerPidfd(socketFd);
  }

  @Override
  public long[] peerGroups(int socketFd) throws ErrnoException {
    return real.peerGroups(socketFd);
  }

  @Override
  public int pidfdOpen(long pid) throws ErrnoException {
    return real.pidfdOpen(pid);
  }

  @Override
  public int dupCloexec(int fd) throws ErrnoException {
    return real.dupCloexec(fd);
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
  public int pread(int fd, byte[] buf, int length, long offset) throws ErrnoException {
    return real.pread(fd, buf, length, offset);
  }

  @Override
  public long pageSize() {
    return real.pageSize();
  }

  @Override
  public int readlink(byte[] path, byte[] buf) throws ErrnoException {
    return real.readlink(path, buf);
  }

  @Override
  public int readlinkAt(int dirfd, byte[] name, byte[] buf) throws ErrnoException {
    return real.readlinkAt(dirfd, name, buf);
  }

  @Override
  public FileIdentity stat(byte[] path) throws ErrnoException {
    return real.stat(path);
  }

  @Override
  public FileIdentity statAt(int dirfd, byte[] name) throws ErrnoException {
    return real.statAt(dirfd, name);
  }

  @Override
  public int openDirectoryPath(byte[] path) throws ErrnoException {
    return real.openDirectoryPath(path);
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
  public long ownerAt(int dirfd, byte[] name) throws ErrnoException {
    return real.ownerAt(dirfd, name);
  }
}
