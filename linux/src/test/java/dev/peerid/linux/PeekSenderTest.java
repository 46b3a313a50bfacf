package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

/** The MSG_PEEK recvmsg of a socket's queue head: the cmsg layout, and what the kernel really answers. */
class PeekSenderTest {
  @TempDir
  Path dir;

  @Test
  void controlMessagesAreReadAtTheirLp64Offsets() {
    ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
    int at = 8;
    // SCM_RIGHTS with two descriptors (CMSG_LEN 24, CMSG_SPACE 24), then SCM_CREDENTIALS (28 / 32), then SCM_PIDFD (20 / 24)
    b.putLong(at, 24).putInt(at + 8, 1).putInt(at + 12, 1).putInt(at + 16, 41).putInt(at + 20, 42);
    b.putLong(at + 24, 28).putInt(at + 32, 1).putInt(at + 36, 2).putInt(at + 40, 4321).putInt(at + 44, -2)
        .putInt(at + 48, 77);
    b.putLong(at + 56, 20).putInt(at + 64, 1).putInt(at + 68, 4).putInt(at + 72, 9);
    List<Integer> closed = new ArrayList<>();
    LinuxLibc closer = new ForwardingLinuxLibc(null) {
      @Override
      public void close(int fd) {
        closed.add(fd);
      }
    };
    LinuxLibc.QueueHead h = JnaLinuxLibc.parseControl(b, at, 80, 1, closer);
    assertEquals(new LinuxLibc.QueueHead(1, 4321, 0xfffffffeL, 77, 9), h);
    assertEquals(List.of(41, 42), closed, "descriptors passed with the data are closed, not kept");
    // a truncated message is not read past the length the kernel left
    assertEquals(new LinuxLibc.QueueHead(1, 0, -1, -1, -1), JnaLinuxLibc.parseControl(b, at + 24, 20, 1, closer));
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void thePeekNamesTheWriterAndTakesNothing() throws Exception {
    JnaLinuxLibc libc = new JnaLinuxLibc();
    Path socketPath = dir.resolve("s.sock");
    try (AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(socketPath.toFile()))) {
      int listener = FileDescriptorCast.using(server.getFileDescriptor()).as(Integer.class);
      libc.enableSocketOption(listener, LinuxLibc.SO_PASSCRED);
      libc.enableSocketOption(listener, LinuxLibc.SO_PASSPIDFD);
      try (AFUNIXSocket client = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socketPath.toFile()));
          AFUNIXSocket accepted = server.accept()) {
        int fd = FileDescriptorCast.using(accepted.getFileDescriptor()).as(Integer.class);
        assertTrue(libc.peekSender(fd, true).isEmpty(), "nothing queued yet");
        OutputStream out = client.getOutputStream();
        out.write(new byte[] {'a', 'b'});
        out.flush();
        LinuxLibc.QueueHead h = libc.peekSender(fd, false);
        assertEquals(1, h.bytes());
        assertEquals(ProcessHandle.current().pid(), h.pid());
        assertEquals(uid(), h.uid());
        assertEquals(-1, h.pidfd(), "no pidfd without room for one");
        LinuxLibc.QueueHead withPidfd = libc.peekSender(fd, true);
        assertTrue(withPidfd.pidfd() >= 0, "SCM_PIDFD on this kernel: " + withPidfd);
        int own = libc.pidfdOpen(ProcessHandle.current().pid());
        try {
          assertEquals(libc.inode(own), libc.inode(withPidfd.pidfd()), "the pidfd names this process");
        } finally {
          libc.close(own);
          libc.close(withPidfd.pidfd());
        }
        byte[] buf = new byte[8];
        assertEquals(2, accepted.getInputStream().read(buf), "the peek took nothing");
        assertTrue(libc.peekSender(fd, false).isEmpty());
        client.close();
        assertEquals(0, libc.peekSender(fd, false).bytes(), "end of stream");
      }
    }
  }

  private static long uid() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("Uid:")) {
        return Long.parseLong(line.split("\\s+")[2]);
      }
    }
    throw new AssertionError("no Uid line");
  }
}
