package dev.peerid.linux.ima;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/** {@link NativeFiles} through libc. */
final class LibcNativeFiles implements NativeFiles {
  static final LibcNativeFiles INSTANCE = new LibcNativeFiles();

  private static final int EPERM = 1;
  private static final int ENOENT = 2;
  private static final int EINTR = 4;
  private static final int ENOTDIR = 20;
  private static final int EAGAIN = 11;
  private static final int ENODATA = 61;
  private static final int EOPNOTSUPP = 95;
  private static final int O_RDONLY = 0;
  private static final int O_NONBLOCK = 04000;
  private static final int O_CLOEXEC = 02000000;
  private static final int O_NOCTTY = 0400;
  private static final int O_PATH = 010000000;

  /** The libc calls we need; {@code size_t}/{@code ssize_t} are C longs on Linux. */
  interface LibC extends Library {
    NativeLong getxattr(String path, String name, byte[] value, NativeLong size) throws LastErrorException;

    int setxattr(String path, String name, byte[] value, NativeLong size, int flags) throws LastErrorException;

    int open(String path, int flags) throws LastErrorException;

    NativeLong read(int fd, Pointer buffer, NativeLong count) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    String strerror(int errnum);
  }

  private static final class Holder {
    static final LibC LIBC;
    static final Throwable FAILURE;

    static {
      LibC lib = null;
      Throwable failure = null;
      try {
        if (!ImaVerifier.isSupported()) {
          // other systems' libc has other getxattr signatures and open flags: never call them
          throw new UnsupportedOperationException("IMA exists only on Linux, this is " + System.getProperty("os.name"));
        }
        lib = Native.load("c", LibC.class);
      } catch (Throwable t) { // UnsatisfiedLinkError or JNA's own errors where there is no such libc
        failure = t;
      }
      LIBC = lib;
      FAILURE = failure;
    }
  }

  private LibcNativeFiles() {}

  private static LibC libc() throws IOException {
    if (Holder.LIBC == null) {
      throw new IOException("IMA xattrs are unavailable: " + Holder.FAILURE,
          Holder.FAILURE);
    }
    return Holder.LIBC;
  }

  @Override
  public Optional<byte[]> get(Path file, String name) throws IOException {
    LibC libc = libc();
    // One call with the kernel's maximum size: no size-then-read race, and no value can be larger.
    byte[] buffer = new byte[ImaXattr.MAX_LENGTH];
    try {
      long n = libc.getxattr(file.toString(), name, buffer, new NativeLong(buffer.length)).longValue();
      return Optional.of(Arrays.copyOf(buffer, (int) n));
    } catch (LastErrorException e) {
      if (e.getErrorCode() == ENODATA || e.getErrorCode() == EOPNOTSUPP) {
        return Optional.empty();
      }
      throw new IOException(file + ": cannot read " + name + " (" + describe(libc, e) + ")", e);
    }
  }

  @Override
  public void set(Path file, String name, byte[] value) throws IOException {
    LibC libc = libc();
    try {
      libc.setxattr(file.toString(), name, value, new NativeLong(value.length), 0);
    } catch (LastErrorException e) {
      String hint = name.startsWith("security.") && e.getErrorCode() == EPERM
          ? "; writing security.* needs CAP_SYS_ADMIN: use a .sig sidecar instead" : "";
      throw new IOException(file + ": cannot set " + name + " (" + describe(libc, e) + hint + ")", e);
    }
  }

  @Override
  public Optional<byte[]> readSmall(Path file, int max) throws IOException {
    LibC libc = libc();
    // The path may be the attacker's (a sidecar next to their program) and we may be root: look at
    // what it names without opening it (O_PATH opens no device, FIFO or tty), and read it only
    // when it is a regular file, through that same descriptor.
    int handle;
    try {
      handle = libc.open(file.toString(), O_PATH | O_CLOEXEC);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == ENOENT || e.getErrorCode() == ENOTDIR) {
        return Optional.empty();
      }
      throw new IOException(file + ": cannot open (" + describe(libc, e) + ")", e);
    }
    int fd;
    try {
      String held = "/proc/self/fd/" + handle;
      if (!java.nio.file.Files.isRegularFile(Path.of(held))) {
        throw new IOException(file + ": not a regular file");
      }
      fd = libc.open(held, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    } catch (LastErrorException e) {
      throw new IOException(file + ": cannot open (" + describe(libc, e) + ")", e);
    } finally {
      try {
        libc.close(handle);
      } catch (LastErrorException ignored) {
        // nothing was read through it
      }
    }
    try {
      Memory buffer = new Memory(Math.max(1, max));
      long total = 0;
      while (total < max) {
        long n;
        try {
          n = libc.read(fd, buffer.share(total), new NativeLong(max - total)).longValue();
        } catch (LastErrorException e) {
          if (e.getErrorCode() == EINTR) {
            continue;
          }
          if (e.getErrorCode() == EAGAIN) {
            break; // a FIFO or socket with nothing to read: not a sidecar, and we do not wait for one
          }
          throw new IOException(file + ": cannot read (" + describe(libc, e) + ")", e);
        }
        if (n <= 0) {
          break;
        }
        total += n;
      }
      return Optional.of(buffer.getByteArray(0, (int) total));
    } finally {
      try {
        libc.close(fd);
      } catch (LastErrorException ignored) {
        // nothing was written; a failed close of a read-only descriptor loses nothing
      }
    }
  }

  private static String describe(LibC libc, LastErrorException e) {
    String text;
    try {
      text = libc.strerror(e.getErrorCode());
    } catch (RuntimeException ignored) {
      text = null;
    }
    return (text != null ? text : "error") + ", errno " + e.getErrorCode();
  }
}
