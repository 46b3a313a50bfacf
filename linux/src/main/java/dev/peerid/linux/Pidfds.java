package dev.peerid.linux;

import dev.peerid.PeerIdentificationException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A pidfd handed in by the caller ({@link dev.peerid.PeerHandle#pidfd(int)}), turned into what
 * {@link LinuxPeerProcess#read} needs: a descriptor of our own (the caller keeps theirs) and the
 * pid it names. The pid comes from the pidfd's {@code /proc/self/fdinfo} entry; it is the
 * process's only while the pidfd has not polled readable, which {@code read} confirms after
 * reading {@code /proc/<pid>}, exactly as for a socket's {@code SO_PEERPIDFD}.
 */
final class Pidfds {
  /** fdinfo of a pidfd is a few short lines; anything longer is not one. */
  private static final int MAX_FDINFO = 4096;
  private static final String PID = "\nPid:";

  private Pidfds() {}

  /** Our own descriptor of the caller's pidfd, and the pid it names now. */
  record Pinned(int pidfd, long pid) {}

  /** Duplicates {@code callerFd} (close-on-exec); the duplicate is the caller's to close unless this throws. */
  static Pinned pin(LinuxLibc libc, int callerFd) throws PeerIdentificationException {
    int pidfd;
    try {
      pidfd = libc.dupCloexec(callerFd);
    } catch (LinuxLibc.ErrnoException e) {
      String what = e.errno() == LinuxLibc.EBADF ? "fd " + callerFd + " is not an open file descriptor"
          : "cannot duplicate fd " + callerFd;
      throw new PeerIdentificationException(what + ": " + e.getMessage(), e);
    }
    try {
      return new Pinned(pidfd, pid(callerFd, readFdinfo(pidfd)));
    } catch (PeerIdentificationException | RuntimeException e) {
      libc.close(pidfd);
      throw e;
    }
  }

  private static String readFdinfo(int fd) throws PeerIdentificationException {
    Path info = Path.of("/proc/self/fdinfo/" + fd);
    try (InputStream in = Files.newInputStream(info)) {
      return "\n" + new String(in.readNBytes(MAX_FDINFO), StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new PeerIdentificationException("cannot read " + info + " (is /proc this process's own?)", e);
    } catch (IOException e) {
      throw new PeerIdentificationException("cannot read " + info + ": " + e, e);
    }
  }

  /** The {@code Pid:} field of a pidfd's fdinfo (text starting with a newline). */
  static long pid(int callerFd, String fdinfo) throws PeerIdentificationException {
    int at = fdinfo.indexOf(PID);
    if (at < 0) {
      throw new PeerIdentificationException("fd " + callerFd + " is not a pidfd (its fdinfo has no Pid field)");
    }
    int start = at + PID.length();
    int end = fdinfo.indexOf('\n', start);
    String value = fdinfo.substring(start, end < 0 ? fdinfo.length() : end).trim();
    long pid;
    try {
      pid = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new PeerIdentificationException("fd " + callerFd + ": unreadable Pid field in its fdinfo: " + value, e);
    }
    if (pid == -1) {
      throw new PeerIdentificationException("the process pidfd " + callerFd + " names has exited");
    }
    if (pid <= 0) {
      throw new PeerIdentificationException("the process pidfd " + callerFd + " names runs in a PID namespace "
          + "this process cannot see (a container?); it cannot be identified from here");
    }
    return pid;
  }
}
