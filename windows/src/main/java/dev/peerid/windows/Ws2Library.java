package dev.peerid.windows;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.win32.StdCallLibrary;

/** ws2_32: the AF_UNIX peer-pid ioctl (Windows 10 1803+). */
interface Ws2Library extends StdCallLibrary {
  int SIO_AF_UNIX_GETPEERPID = 0x58000100;

  /** {@code socket} is the SOCKET value as a pointer-sized constant. */
  int WSAIoctl(Pointer socket, int controlCode, Pointer inBuffer, int inBufferSize, IntByReference outBuffer,
      int outBufferSize, IntByReference bytesReturned, Pointer overlapped, Pointer completionRoutine);

  int WSAGetLastError();
}
