package dev.peerid.linux;

import java.util.concurrent.atomic.AtomicInteger;

/** The real libc, as on a kernel before 6.5 that has no SO_PEERPIDFD (nor pidfd_open). */
final class KernelWithoutPeerPidfd extends ForwardingLinuxLibc {
  final AtomicInteger peerPidfdCalls = new AtomicInteger();

  KernelWithoutPeerPidfd(LinuxLibc real) {
    super(real);
  }

  @Override
  public int peerPidfd(int socketFd) throws ErrnoException {
    peerPidfdCalls.incrementAndGet();
    throw new ErrnoException("getsockopt(SO_PEERPIDFD)", ENOPROTOOPT, "Protocol not available");
  }

  @Override
  public int pidfdOpen(long pid) throws ErrnoException {
    throw new ErrnoException("pidfd_open", ENOSYS, "Function not implemented");
  }
}
