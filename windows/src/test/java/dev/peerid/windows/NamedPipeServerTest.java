package dev.peerid.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.WString;
import com.sun.jna.platform.win32.WinBase;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.ptr.PointerByReference;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The named-pipe helper with kernel32/advapi32 mocked at the JNA boundary. */
class NamedPipeServerTest {
  private static final String NAME = "\\\\.\\pipe\\peerid-test";
  private static final WinNT.HANDLE PIPE = new WinNT.HANDLE(Pointer.createConstant(0x4444));

  Kernel32Library kernel32;
  Advapi32Library advapi32;
  final Memory descriptor = new Memory(32);
  final List<int[]> modes = new ArrayList<>();
  final List<Pointer> descriptors = new ArrayList<>();

  @BeforeEach
  void setUp() {
    kernel32 = mock(Kernel32Library.class);
    advapi32 = mock(Advapi32Library.class);
    doAnswer(inv -> {
      ((PointerByReference) inv.getArgument(2)).setValue(descriptor);
      return true;
    }).when(advapi32).ConvertStringSecurityDescriptorToSecurityDescriptorW(any(), eq(1), any(), any());
    doAnswer(inv -> {
      modes.add(new int[] {inv.getArgument(1), inv.getArgument(2)});
      descriptors.add(((WinBase.SECURITY_ATTRIBUTES) inv.getArgument(7)).lpSecurityDescriptor);
      return PIPE;
    }).when(kernel32).CreateNamedPipeW(eq(NAME), anyInt(), anyInt(), anyInt(), anyInt(), anyInt(), anyInt(), any());
    when(kernel32.ConnectNamedPipe(PIPE, null)).thenReturn(true);
  }

  @Test
  void pipesRejectRemoteClientsCarryTheSddlAndOnlyTheFirstClaimsTheName() throws Exception {
    NamedPipeServer server = NamedPipeServer.create(kernel32, advapi32, NAME, NamedPipeServer.CURRENT_USER_ONLY);
    try (NamedPipeServer.Connection a = server.accept(); NamedPipeServer.Connection b = server.accept()) {
      assertEquals(0x4444, a.handle());
      assertEquals(a.handle(), b.handle());
      assertEquals(WindowsPeerHandle.namedPipe(0x4444), a.peerHandle());
    }
    assertEquals(2, modes.size());
    for (int[] m : modes) {
      assertEquals(Kernel32Library.PIPE_REJECT_REMOTE_CLIENTS, m[1] & Kernel32Library.PIPE_REJECT_REMOTE_CLIENTS);
    }
    assertEquals(Kernel32Library.FILE_FLAG_FIRST_PIPE_INSTANCE, modes.get(0)[0] & Kernel32Library.FILE_FLAG_FIRST_PIPE_INSTANCE);
    assertEquals(0, modes.get(1)[0] & Kernel32Library.FILE_FLAG_FIRST_PIPE_INSTANCE);
    assertEquals(descriptor, descriptors.get(0));
    verify(advapi32, times(2)).ConvertStringSecurityDescriptorToSecurityDescriptorW(
        eq(new WString(NamedPipeServer.CURRENT_USER_ONLY)), eq(1), any(), any());
    verify(kernel32, times(2)).LocalFree(descriptor);
    verify(kernel32, times(2)).DisconnectNamedPipe(PIPE);
    verify(kernel32, times(2)).CloseHandle(PIPE);
  }

  @Test
  void clientThatConnectedFirstIsAccepted() throws Exception {
    when(kernel32.ConnectNamedPipe(PIPE, null)).thenReturn(false);
    when(kernel32.lastError()).thenReturn(Kernel32Library.ERROR_PIPE_CONNECTED);
    try (NamedPipeServer.Connection c = NamedPipeServer.create(kernel32, advapi32, NAME, "D:P(A;;GA;;;SY)").accept()) {
      assertEquals(0x4444, c.handle());
    }
  }

  @Test
  void failuresCloseWhatWasOpenedAndExplain() {
    when(kernel32.ConnectNamedPipe(PIPE, null)).thenReturn(false);
    when(kernel32.lastError()).thenReturn(232);
    NamedPipeServer server = NamedPipeServer.create(kernel32, advapi32, NAME, NamedPipeServer.CURRENT_USER_ONLY);
    IOException e = assertThrows(IOException.class, server::accept);
    assertTrue(e.getMessage().contains("error 232"));
    verify(kernel32).CloseHandle(PIPE);

    when(kernel32.CreateNamedPipeW(any(), anyInt(), anyInt(), anyInt(), anyInt(), anyInt(), anyInt(), any()))
        .thenReturn(WinBase.INVALID_HANDLE_VALUE);
    when(kernel32.lastError()).thenReturn(231);
    NamedPipeServer squatted = NamedPipeServer.create(kernel32, advapi32, NAME, NamedPipeServer.CURRENT_USER_ONLY);
    IOException e2 = assertThrows(IOException.class, squatted::accept);
    assertTrue(e2.getMessage().contains("another process may own this pipe name"), e2.getMessage());
    verify(kernel32, times(2)).LocalFree(descriptor);
  }

  @Test
  void badSddlAndBadNamesAreRefused() {
    when(advapi32.ConvertStringSecurityDescriptorToSecurityDescriptorW(any(), anyInt(), any(), any())).thenReturn(false);
    NamedPipeServer server = NamedPipeServer.create(kernel32, advapi32, NAME, "garbage");
    assertThrows(IOException.class, server::accept);
    verify(kernel32, never()).CreateNamedPipeW(any(), anyInt(), anyInt(), anyInt(), anyInt(), anyInt(), anyInt(), any());
    assertThrows(IllegalArgumentException.class,
        () -> NamedPipeServer.create(kernel32, advapi32, "\\\\server\\pipe\\x", NamedPipeServer.CURRENT_USER_ONLY));
    assertThrows(NullPointerException.class, () -> NamedPipeServer.create(kernel32, advapi32, NAME, null));
    assertThrows(IllegalArgumentException.class, () -> NamedPipeServer.create(kernel32, advapi32, "\\\\.\\pipe\\", "D:"));
  }
}
