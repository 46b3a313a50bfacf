package dev.peerid.windows;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.WinBase;
import com.sun.jna.platform.win32.WinDef;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.win32.StdCallLibrary;

/** The kernel32 calls peerid makes, and nothing else: the one native boundary for processes and pipes. */
interface Kernel32Library extends StdCallLibrary {
  int PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
  int STILL_ACTIVE = 259;
  int PIPE_ACCESS_DUPLEX = 0x3;
  int FILE_FLAG_FIRST_PIPE_INSTANCE = 0x80000;
  int PIPE_TYPE_BYTE = 0x0;
  int PIPE_READMODE_BYTE = 0x0;
  int PIPE_WAIT = 0x0;
  int PIPE_REJECT_REMOTE_CLIENTS = 0x8;
  int ERROR_PIPE_CONNECTED = 535;

  WinNT.HANDLE CreateNamedPipeW(String name, int openMode, int pipeMode, int maxInstances, int outBufferSize,
      int inBufferSize, int defaultTimeOut, WinBase.SECURITY_ATTRIBUTES securityAttributes);

  boolean ConnectNamedPipe(WinNT.HANDLE pipe, Pointer overlapped);

  boolean DisconnectNamedPipe(WinNT.HANDLE pipe);

  boolean GetNamedPipeClientProcessId(WinNT.HANDLE pipe, WinDef.ULONGByReference clientProcessId);

  WinNT.HANDLE OpenProcess(int desiredAccess, boolean inheritHandle, int processId);

  int GetProcessId(WinNT.HANDLE process);

  boolean QueryFullProcessImageNameW(WinNT.HANDLE process, int flags, char[] exeName, IntByReference size);

  boolean GetProcessTimes(WinNT.HANDLE process, WinBase.FILETIME creation, WinBase.FILETIME exit,
      WinBase.FILETIME kernel, WinBase.FILETIME user);

  boolean GetExitCodeProcess(WinNT.HANDLE process, IntByReference exitCode);

  boolean CloseHandle(WinNT.HANDLE handle);

  Pointer LocalFree(Pointer memory);

  int FILE_READ_ATTRIBUTES = 0x80;
  int GENERIC_READ = 0x80000000;
  int FILE_SHARE_READ = 0x1;
  int FILE_SHARE_DELETE = 0x4;
  int FILE_FLAG_SEQUENTIAL_SCAN = 0x08000000;
  int FILE_SHARE_ALL = 0x7;
  int OPEN_EXISTING = 3;
  int FILE_BASIC_INFO = 0;
  int FILE_STANDARD_INFO = 1;
  int FILE_ID_INFO = 18;

  WinNT.HANDLE CreateFileW(String name, int desiredAccess, int shareMode, WinBase.SECURITY_ATTRIBUTES security,
      int creationDisposition, int flagsAndAttributes, WinNT.HANDLE template);

  boolean GetFileInformationByHandleEx(WinNT.HANDLE file, int infoClass, Pointer buffer, int bufferSize);

  /** The calling thread's last Win32 error, as JNA saved it right after the previous call. */
  default int lastError() {
    return Native.getLastError();
  }
}
