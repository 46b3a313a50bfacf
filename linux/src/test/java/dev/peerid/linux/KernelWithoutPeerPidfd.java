package dev.peerid.linux;

import java.util.concurrent.atomic.AtomicInteger;

/** The real libc, as on a kernel before 6.5 that has no SO_PEERPIDFD (nor pidfd_open). */
final class KernelWithoutPeerPidfd extends ForwardingLinuxLibc {
  final AtomicInteger peerPidfdCalls = new AtomicInteger();
  /** Peeks that asked for the writer's pidfd (which this kernel cannot give). */
  final AtomicInteger pidfdPeeks = new AtomicInteger();

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

  @Override
  public void enableSocketOption(int socketFd, int option) throws ErrnoException {
    if (option == SO_PASSPIDFD) {
      throw new ErrnoException("setsockopt(SO_PASSPIDFD)", ENOPROTOOPT, "Protocol not available");
    }
    super.enableSocketOption(socketFd, option);
  }

  @Override
  public QueueHead peekSender(int socketFd, boolean withPidfd) throws ErrnoException {
    if (withPidfd) {
      pidfdPeeks.incrementAndGet();
    }
    return super.peekSender(socketFd, false);
  }
}
