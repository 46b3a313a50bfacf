package dev.peerid.windows;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.win32.W32APITypeMapper;
import dev.peerid.Platform;
import java.util.Map;

/** The Windows libraries peerid calls, loaded once; loading fails off Windows with a clear cause. */
record NativeLibraries(Kernel32Library kernel32, Advapi32Library advapi32, Ws2Library ws2, WinTrustLibrary wintrust) {
  private static final Map<String, Object> OPTIONS = Map.of(Library.OPTION_TYPE_MAPPER, W32APITypeMapper.UNICODE);

  private static final class Holder {
    static final Object LOADED = tryLoad();
  }

  private static Object tryLoad() {
    if (Platform.current() != Platform.WINDOWS) {
      return new UnsupportedOperationException("the Windows backend needs Windows (os.name="
          + System.getProperty("os.name") + ")");
    }
    try {
      return new NativeLibraries(
          Native.load("kernel32", Kernel32Library.class, OPTIONS),
          Native.load("advapi32", Advapi32Library.class, OPTIONS),
          Native.load("ws2_32", Ws2Library.class, OPTIONS),
          Native.load("wintrust", WinTrustLibrary.class, OPTIONS));
    } catch (LinkageError | RuntimeException e) {
      UnsupportedOperationException u = new UnsupportedOperationException("cannot load the Windows libraries");
      u.initCause(e);
      return u;
    }
  }

  /** The libraries, or an {@link UnsupportedOperationException} carrying why they are not available. */
  static NativeLibraries load() {
    Object o = Holder.LOADED;
    if (o instanceof NativeLibraries n) {
      return n;
    }
    UnsupportedOperationException cause = (UnsupportedOperationException) o;
    UnsupportedOperationException e = new UnsupportedOperationException(cause.getMessage());
    e.initCause(cause.getCause() != null ? cause.getCause() : cause);
    throw e;
  }

  /** Why the libraries cannot be used here, or null when they can. */
  static Throwable unavailabilityCause() {
    Object o = Holder.LOADED;
    return o instanceof Throwable t ? t : null;
  }
}
