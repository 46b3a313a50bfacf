package dev.peerid.windows;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.WinBase;
import com.sun.jna.platform.win32.WinDef;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.ptr.IntByReference;

/** A kernel32 stand-in at the JNA boundary that behaves like one live process. */
final class Kernel32Mocks {
  static final WinNT.HANDLE PROCESS = new WinNT.HANDLE(Pointer.createConstant(0x1234));
  static final long CREATION = 0x01DB_0000_1234_5678L;
  static final WinNT.HANDLE IMAGE_FILE = new WinNT.HANDLE(Pointer.createConstant(0x5678));
  static final long VOLUME = 0xC0FFEE;
  /** 2024-01-01T00:00:00Z as FILETIME. */
  static final long WRITE_TIME = 133_485_408_000_000_000L;

  private Kernel32Mocks() {}

  /** A live process {@code pid} running {@code image}, created at {@link #CREATION}. */
  static Kernel32Library liveProcess(long pid, String image) {
    Kernel32Library k = mock(Kernel32Library.class);
    when(k.OpenProcess(eq(Kernel32Library.PROCESS_QUERY_LIMITED_INFORMATION), anyBoolean(), eq((int) pid)))
        .thenReturn(PROCESS);
    when(k.GetProcessId(PROCESS)).thenReturn((int) pid);
    creation(k, CREATION);
    imagePath(k, image);
    exitCode(k, Kernel32Library.STILL_ACTIVE);
    when(k.CloseHandle(any())).thenReturn(true);
    imageFile(k, image, 0x1122334455667788L, 123_456);
    return k;
  }

  /** The image file: volume {@link #VOLUME}, the given file id (low 64 bits) and size. */
  static void imageFile(Kernel32Library k, String image, long fileId, long size) {
    when(k.CreateFileW(eq(image), eq(Kernel32Library.FILE_READ_ATTRIBUTES), eq(Kernel32Library.FILE_SHARE_ALL), any(),
        eq(Kernel32Library.OPEN_EXISTING), anyInt(), any())).thenReturn(IMAGE_FILE);
    doAnswer(inv -> {
      int infoClass = inv.getArgument(1);
      Pointer buf = inv.getArgument(2);
      switch (infoClass) {
        case Kernel32Library.FILE_ID_INFO -> {
          buf.setLong(0, VOLUME);
          buf.setLong(8, fileId);
          buf.setLong(16, 0);
        }
        case Kernel32Library.FILE_BASIC_INFO -> {
          buf.setLong(16, WRITE_TIME);
          buf.setLong(24, WRITE_TIME + 10_000_000L);
        }
        case Kernel32Library.FILE_STANDARD_INFO -> buf.setLong(8, size);
        default -> {
          return false;
        }
      }
      return true;
    }).when(k).GetFileInformationByHandleEx(eq(IMAGE_FILE), anyInt(), any(), anyInt());
  }

  static void creation(Kernel32Library k, long filetime) {
    doAnswer(inv -> {
      WinBase.FILETIME c = inv.getArgument(1);
      c.dwHighDateTime = (int) (filetime >>> 32);
      c.dwLowDateTime = (int) filetime;
      return true;
    }).when(k).GetProcessTimes(any(), any(), any(), any(), any());
  }

  static void imagePath(Kernel32Library k, String image) {
    doAnswer(inv -> {
      char[] buf = inv.getArgument(2);
      IntByReference size = inv.getArgument(3);
      image.getChars(0, image.length(), buf, 0);
      size.setValue(image.length());
      return true;
    }).when(k).QueryFullProcessImageNameW(any(), anyInt(), any(), any());
  }

  static void exitCode(Kernel32Library k, int code) {
    doAnswer(inv -> {
      ((IntByReference) inv.getArgument(1)).setValue(code);
      return true;
    }).when(k).GetExitCodeProcess(any(), any());
  }

  static void pipeClient(Kernel32Library k, long pid) {
    doAnswer(inv -> {
      ((WinDef.ULONGByReference) inv.getArgument(1)).setValue(new WinDef.ULONG(pid));
      return true;
    }).when(k).GetNamedPipeClientProcessId(any(), any());
  }

  static NativeLibraries natives(Kernel32Library k) {
    return new NativeLibraries(k, mock(Advapi32Library.class), mock(Ws2Library.class), mock(WinTrustLibrary.class));
  }
}
