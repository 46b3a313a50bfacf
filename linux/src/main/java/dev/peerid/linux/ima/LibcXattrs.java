package dev.peerid.linux.ima;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/** {@link Xattrs} through libc's getxattr/setxattr. */
final class LibcXattrs implements Xattrs {
  static final LibcXattrs INSTANCE = new LibcXattrs();

  private static final int ENODATA = 61;
  private static final int EOPNOTSUPP = 95;

  /** The three libc calls we need; {@code size_t}/{@code ssize_t} are C longs on Linux. */
  interface LibC extends Library {
    NativeLong getxattr(String path, String name, byte[] value, NativeLong size) throws LastErrorException;

    int setxattr(String path, String name, byte[] value, NativeLong size, int flags) throws LastErrorException;

    String strerror(int errnum);
  }

  private static final class Holder {
    static final LibC LIBC;
    static final Throwable FAILURE;

    static {
      LibC lib = null;
      Throwable failure = null;
      try {
        lib = Native.load("c", LibC.class);
      } catch (Throwable t) { // UnsatisfiedLinkError or JNA's own errors on an OS without libc xattrs
        failure = t;
      }
      LIBC = lib;
      FAILURE = failure;
    }
  }

  private LibcXattrs() {}

  private static LibC libc() throws IOException {
    if (Holder.LIBC == null) {
      throw new IOException("extended attributes are unavailable: libc could not be loaded (" + Holder.FAILURE + ")",
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
      String hint = name.startsWith("security.") && e.getErrorCode() == 1
          ? "; writing security.* needs CAP_SYS_ADMIN: use a .sig sidecar instead" : "";
      throw new IOException(file + ": cannot set " + name + " (" + describe(libc, e) + hint + ")", e);
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
