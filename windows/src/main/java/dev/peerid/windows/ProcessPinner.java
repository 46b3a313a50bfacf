package dev.peerid.windows;

import com.sun.jna.platform.win32.WinBase;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.ptr.IntByReference;
import dev.peerid.PeerIdentificationException;
import dev.peerid.spi.ExecutableVerifier;

/**
 * Pins a process by an open handle right after its pid is learnt, so that pid reuse cannot swap
 * it: the handle keeps the process object alive, {@code GetProcessId(handle)} must give the pid
 * back, and the creation time becomes the race token. Every failure closes the handle.
 */
final class ProcessPinner {
  /** The System Idle Process and the System process: never a real peer. */
  private static final long IDLE_PID = 0;
  private static final long SYSTEM_PID = 4;
  private static final int MAX_PATH_CHARS = 32_768;

  private final Kernel32Library kernel32;
  private final ExecutableVerifier verifier;

  ProcessPinner(Kernel32Library kernel32, ExecutableVerifier verifier) {
    this.kernel32 = kernel32;
    this.verifier = verifier;
  }

  WindowsPeerProcess pin(long pid, boolean racy) throws PeerIdentificationException {
    if (pid == IDLE_PID || pid == SYSTEM_PID) {
      throw new PeerIdentificationException("pid " + pid + " is a system pseudo-process, not a peer");
    }
    if (pid < 0 || pid > 0xFFFFFFFFL) {
      throw new PeerIdentificationException("pid " + pid + " is out of range");
    }
    WinNT.HANDLE handle = kernel32.OpenProcess(Kernel32Library.PROCESS_QUERY_LIMITED_INFORMATION, false, (int) pid);
    if (handle == null) {
      throw new PeerIdentificationException("OpenProcess(" + pid + ") failed (error " + kernel32.lastError()
          + "): the peer exited or is protected");
    }
    boolean keep = false;
    try {
      long actual = Integer.toUnsignedLong(kernel32.GetProcessId(handle));
      if (actual != pid) {
        throw new PeerIdentificationException("GetProcessId gives " + actual + " for pid " + pid
            + " (a remote or reused pid)");
      }
      long creation = creationTime(kernel32, handle);
      String image = imagePath(kernel32, handle);
      dev.peerid.FileIdentity identity = WindowsFileIdentity.read(kernel32, image);
      requireAlive(kernel32, handle, pid);
      WindowsPeerProcess process = new WindowsPeerProcess(kernel32, handle, pid, creation, image, racy, identity,
          verifier);
      keep = true;
      return process;
    } finally {
      if (!keep) {
        kernel32.CloseHandle(handle);
      }
    }
  }

  static long creationTime(Kernel32Library kernel32, WinNT.HANDLE handle) throws PeerIdentificationException {
    WinBase.FILETIME creation = new WinBase.FILETIME();
    if (!kernel32.GetProcessTimes(handle, creation, new WinBase.FILETIME(), new WinBase.FILETIME(),
        new WinBase.FILETIME())) {
      throw new PeerIdentificationException("GetProcessTimes failed (error " + kernel32.lastError() + ")");
    }
    return (Integer.toUnsignedLong(creation.dwHighDateTime) << 32) | Integer.toUnsignedLong(creation.dwLowDateTime);
  }

  static String imagePath(Kernel32Library kernel32, WinNT.HANDLE handle) throws PeerIdentificationException {
    char[] buf = new char[MAX_PATH_CHARS];
    IntByReference size = new IntByReference(buf.length);
    if (!kernel32.QueryFullProcessImageNameW(handle, 0, buf, size)) {
      throw new PeerIdentificationException("QueryFullProcessImageNameW failed (error " + kernel32.lastError() + ")");
    }
    int n = size.getValue();
    if (n <= 0 || n > buf.length) {
      throw new PeerIdentificationException("QueryFullProcessImageNameW returned a bad length " + n);
    }
    return new String(buf, 0, n);
  }

  static void requireAlive(Kernel32Library kernel32, WinNT.HANDLE handle, long pid) throws PeerIdentificationException {
    IntByReference code = new IntByReference();
    if (!kernel32.GetExitCodeProcess(handle, code)) {
      throw new PeerIdentificationException("GetExitCodeProcess failed (error " + kernel32.lastError() + ")");
    }
    if (code.getValue() != Kernel32Library.STILL_ACTIVE) {
      throw new PeerIdentificationException("process " + pid + " has exited (exit code " + code.getValue() + ")");
    }
  }
}
