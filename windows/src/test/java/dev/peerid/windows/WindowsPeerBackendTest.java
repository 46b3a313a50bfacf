package dev.peerid.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.sun.jna.Pointer;
import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.Platform;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.spi.PeerBackend;
import dev.peerid.spi.PeerProcess;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import dev.peerid.windows.authenticode.AuthenticodeVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ServiceLoader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Windows backend with kernel32 and ws2_32 mocked at the JNA boundary; executables are real files. */
class WindowsPeerBackendTest {
  private static final String RES = "/dev/peerid/windows/authenticode/debian/";
  private static final long PID = 4242;

  @TempDir
  Path tmp;
  Path image;
  TrustStore debian;

  @BeforeEach
  void realSignedImage() throws Exception {
    image = tmp.resolve("fbx64.efi");
    try (InputStream in = getClass().getResourceAsStream(RES + "fbx64.efi.signed")) {
      Files.copy(in, image);
    }
    try (InputStream in = getClass().getResourceAsStream(RES + "debian-secure-boot-signer-2022-shim.pem")) {
      debian = TrustStore.builder()
          .trust("debian", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in)).build();
    }
  }

  private WindowsPeerBackend backend(Kernel32Library k) {
    NativeLibraries libs = Kernel32Mocks.natives(k);
    return new WindowsPeerBackend(() -> libs, AuthenticodeVerifier::new);
  }

  @Test
  void namedPipeHappyPath() throws Exception {
    Kernel32Library k = Kernel32Mocks.liveProcess(PID, image.toString());
    Kernel32Mocks.pipeClient(k, PID);
    try (PeerProcess p = backend(k).attach(WindowsPeerHandle.namedPipe(0x77))) {
      assertEquals(PID, p.process().pid());
      assertEquals("handle:creation=" + Kernel32Mocks.CREATION, p.process().raceToken());
      assertFalse(p.process().racy());
      assertEquals(image.toString(), p.executable().path());
      assertEquals(123_456, p.executable().size());
      assertEquals(Kernel32Mocks.VOLUME, p.executable().identity().device());
      assertEquals(0x1122334455667788L, p.executable().identity().inode());
      assertEquals(1_704_067_200_000_000_000L, p.executable().identity().mtimeNanos());
      assertEquals("fileid:88776655443322110000000000000000", p.executable().identity().extra());
      VerifiedExecutable v = p.verifyExecutable(VerificationContext.of(debian));
      assertEquals(SignatureStatus.VALID, v.signature().status(), v.signature()::toString);
      assertEquals("pure-java", v.signature().attribute("verifiedBy").orElseThrow());
      p.confirmUnchanged();
      verify(k, never()).CloseHandle(Kernel32Mocks.PROCESS);
    }
    verify(k, times(1)).CloseHandle(Kernel32Mocks.PROCESS);
    verify(k).OpenProcess(0x1000, false, (int) PID);
  }

  @Test
  void closeIsIdempotent() throws Exception {
    Kernel32Library k = Kernel32Mocks.liveProcess(PID, image.toString());
    PeerProcess p = backend(k).attach(PeerHandle.pid(PID));
    assertTrue(p.process().racy(), "a bare pid is racy");
    p.close();
    p.close();
    verify(k, times(1)).CloseHandle(Kernel32Mocks.PROCESS);
    assertThrows(PeerIdentificationException.class, p::confirmUnchanged);
    assertThrows(IOException.class, () -> p.verifyExecutable(VerificationContext.of(debian)));
  }

  @Test
  void systemPidsAreRefusedWithoutOpeningThem() {
    Kernel32Library k = Kernel32Mocks.liveProcess(PID, image.toString());
    for (long pid : new long[] {0, 4}) {
      Kernel32Mocks.pipeClient(k, pid);
      PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
          () -> backend(k).attach(WindowsPeerHandle.namedPipe(0x77)));
      assertTrue(e.getMessage().contains("pseudo-process"), e.getMessage());
    }
    verify(k, never()).OpenProcess(anyInt(), anyBoolean(), anyInt());
  }

  @Test
  void pidMismatchIsRefusedAndTheHandleClosed() {
    Kernel32Library k = Kernel32Mocks.liveProcess(PID, image.toString());
    when(k.GetProcessId(Kernel32Mocks.PROCESS)).thenReturn(0xFEFF);
    Kernel32Mocks.pipeClient(k, PID);
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
        () -> backend(k).attach(WindowsPeerHandle.namedPipe(0x77)));
    assertTrue(e.getMessage().contains("65279"), e.getMessage());
    verify(k).CloseHandle(Kernel32Mocks.PROCESS);
  }

  @Test
  void openProcessFailureNamesTheError() {
    Kernel32Library k = Kernel32Mocks.liveProcess(PID, image.toString());
    when(k.OpenProcess(anyInt(), anyBoolean(), anyInt())).thenReturn(null);
    when(k.lastError()).thenReturn(87);
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
        () -> backend(k).attach(WindowsPeerHandle.connectionPid(PID)));
    assertTrue(e.getMessage().contains("error 87"), e.getMessage());
    verify(k, never()).CloseHandle(any());
  }

  @Test
  void everyFailureAfterOpenProcessClosesTheHandle() {
    Kernel32Library exited = Kernel32Mocks.liveProcess(PID, image.toString());
    Kernel32Mocks.exitCode(exited, 0);
    Kernel32Library noTimes = Kernel32Mocks.liveProcess(PID, image.toString());
    org.mockito.Mockito.doReturn(false).when(noTimes).GetProcessTimes(any(), any(), any(), any(), any());
    Kernel32Library noImage = Kernel32Mocks.liveProcess(PID, image.toString());
    org.mockito.Mockito.doReturn(false).when(noImage).QueryFullProcessImageNameW(any(), anyInt(), any(), any());
    for (Kernel32Library k : new Kernel32Library[] {exited, noTimes, noImage}) {
      assertThrows(PeerIdentificationException.class, () -> backend(k).attach(WindowsPeerHandle.connectionPid(PID)));
      verify(k).CloseHandle(Kernel32Mocks.PROCESS);
    }
  }

  @Test
  void pidReuseIsDetectedByCreationTime() throws Exception {
    Kernel32Library k = Kernel32Mocks.liveProcess(PID, image.toString());
    try (PeerProcess p = backend(k).attach(WindowsPeerHandle.connectionPid(PID))) {
      p.confirmUnchanged();
      Kernel32Mocks.creation(k, Kernel32Mocks.CREATION + 1);
      PeerIdentificationException e = assertThrows(PeerIdentificationException.class, p::confirmUnchanged);
      assertTrue(e.getMessage().contains("creation time"), e.getMessage());
    }
    verify(k).CloseHandle(Kernel32Mocks.PROCESS);
  }

  @Test
  void replacedImageFileIsDetected() throws Exception {
    Kernel32Library k = Kernel32Mocks.liveProcess(PID, image.toString());
    try (PeerProcess p = backend(k).attach(WindowsPeerHandle.connectionPid(PID))) {
      p.confirmUnchanged();
      Kernel32Mocks.imageFile(k, image.toString(), 0x99, 123_456);
      PeerIdentificationException e = assertThrows(PeerIdentificationException.class, p::confirmUnchanged);
      assertTrue(e.getMessage().contains("replaced"), e.getMessage());
      IOException io = assertThrows(IOException.class, () -> p.verifyExecutable(VerificationContext.of(debian)));
      assertTrue(io.getMessage().contains("replaced"), io.getMessage());
    }
    verify(k, org.mockito.Mockito.atLeast(3)).CloseHandle(Kernel32Mocks.IMAGE_FILE);
  }

  @Test
  void unreadableImageFileFailsTheAttachAndClosesTheProcessHandle() {
    Kernel32Library k = Kernel32Mocks.liveProcess(PID, image.toString());
    when(k.CreateFileW(any(), anyInt(), anyInt(), any(), anyInt(), anyInt(), any()))
        .thenReturn(com.sun.jna.platform.win32.WinBase.INVALID_HANDLE_VALUE);
    when(k.lastError()).thenReturn(5);
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
        () -> backend(k).attach(WindowsPeerHandle.connectionPid(PID)));
    assertTrue(e.getMessage().contains("error 5"), e.getMessage());
    verify(k).CloseHandle(Kernel32Mocks.PROCESS);
  }

  @Test
  void peerExitingDuringVerificationFailsTheVerification() throws Exception {
    Kernel32Library k = Kernel32Mocks.liveProcess(PID, image.toString());
    try (PeerProcess p = backend(k).attach(WindowsPeerHandle.connectionPid(PID))) {
      Kernel32Mocks.exitCode(k, 1);
      IOException e = assertThrows(IOException.class, () -> p.verifyExecutable(VerificationContext.of(debian)));
      assertTrue(e.getMessage().contains("has exited"), e.getMessage());
    }
    verify(k).CloseHandle(Kernel32Mocks.PROCESS);
  }

  @Test
  void afUnixPeerPidFromWsaIoctl() throws Exception {
    Kernel32Library k = Kernel32Mocks.liveProcess(PID, image.toString());
    NativeLibraries libs = Kernel32Mocks.natives(k);
    doAnswer(inv -> {
      ((com.sun.jna.ptr.IntByReference) inv.getArgument(4)).setValue((int) PID);
      ((com.sun.jna.ptr.IntByReference) inv.getArgument(6)).setValue(4);
      return 0;
    }).when(libs.ws2()).WSAIoctl(any(), eq(0x58000100), isNull(), eq(0), any(), eq(4), any(), isNull(), isNull());
    WindowsPeerBackend b = new WindowsPeerBackend(() -> libs, AuthenticodeVerifier::new);
    try (PeerProcess p = b.attach(WindowsPeerHandle.afUnixSocket(0x99))) {
      assertEquals(PID, p.process().pid());
    }
    verify(libs.ws2()).WSAIoctl(eq(Pointer.createConstant(0x99)), eq(0x58000100), isNull(), eq(0), any(), eq(4),
        any(), isNull(), isNull());
  }

  @Test
  void afUnixIoctlFailureIsAnIdentificationError() {
    Kernel32Library k = Kernel32Mocks.liveProcess(PID, image.toString());
    NativeLibraries libs = Kernel32Mocks.natives(k);
    when(libs.ws2().WSAIoctl(any(), anyInt(), any(), anyInt(), any(), anyInt(), any(), any(), any())).thenReturn(-1);
    when(libs.ws2().WSAGetLastError()).thenReturn(10045);
    WindowsPeerBackend b = new WindowsPeerBackend(() -> libs, AuthenticodeVerifier::new);
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
        () -> b.attach(WindowsPeerHandle.afUnixSocket(0x99)));
    assertTrue(e.getMessage().contains("10045"), e.getMessage());
    verify(k, never()).OpenProcess(anyInt(), anyBoolean(), anyInt());
  }

  @Test
  void pipeWithoutClientIsAnIdentificationError() {
    Kernel32Library k = Kernel32Mocks.liveProcess(PID, image.toString());
    when(k.GetNamedPipeClientProcessId(any(), any())).thenReturn(false);
    when(k.lastError()).thenReturn(233);
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
        () -> backend(k).attach(WindowsPeerHandle.namedPipe(0x77)));
    assertTrue(e.getMessage().contains("error 233"), e.getMessage());
  }

  @Test
  void acceptsOnlyWindowsHandlesAndPids() {
    WindowsPeerBackend b = backend(Kernel32Mocks.liveProcess(PID, image.toString()));
    assertTrue(b.accepts(WindowsPeerHandle.namedPipe(1)));
    assertTrue(b.accepts(PeerHandle.pid(5)));
    assertFalse(b.accepts(PeerHandle.socket(3)));
  }

  @Test
  void serviceLoaderBackendIsUnsupportedOffWindowsWithACause() {
    PeerBackend found = ServiceLoader.load(PeerBackend.class).stream().map(ServiceLoader.Provider::get)
        .filter(x -> x.platform() == Platform.WINDOWS).findFirst().orElseThrow();
    if (Platform.current() == Platform.WINDOWS) {
      assertTrue(found.isSupported());
      return;
    }
    assertFalse(found.isSupported());
    assertTrue(found.unavailabilityCause().orElseThrow().getMessage().contains("needs Windows"));
    UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, found::ensureSupported);
    assertTrue(e.getCause() != null);
    assertThrows(PeerIdentificationException.class, () -> found.attach(PeerHandle.pid(1234)));
  }
}
