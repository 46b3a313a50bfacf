/**
 * The Linux peer backend: who is on the other end of a Unix-domain socket.
 *
 * <p>{@link dev.peerid.linux.LinuxPeerBackend} (found by {@link java.util.ServiceLoader}) takes the
 * peer's credentials with {@code SO_PEERCRED}, pins the process with a pidfd ({@code SO_PEERPIDFD},
 * Linux 6.5+; {@code pidfd_open} for a bare pid) and reads the executable only through
 * {@code /proc/<pid>/exe}, the inode the process actually runs, even if its path was replaced or
 * deleted. The file's signature is checked by the IMA {@code ExecutableVerifier} of this module.
 * {@link dev.peerid.linux.LinuxPeers} makes handles for junixsocket sockets.
 *
 * <p>What the backend needs and what it cannot see:
 * <ul>
 *   <li>The server must run as the peer's user, as root, or with {@code CAP_SYS_PTRACE}: the kernel
 *       lets nobody else read another user's {@code /proc/<pid>/exe}. Such peers are denied, with
 *       that reason.
 *   <li>A peer in a PID namespace the server cannot see (SO_PEERCRED pid 0) is denied.
 *   <li>Without SO_PEERPIDFD (kernels before 6.5) the process is pinned by its start time, read
 *       just after SO_PEERCRED: a pid that is reused in between is not detected. The race token
 *       says which pin was used.
 *   <li>Exec after connect: a process that keeps the socket and execs another program keeps its
 *       pid; {@code confirmUnchanged} sees the new executable and fails, so revalidate per request.
 *       A socket handed to another process is not detected (SO_PEERCRED names the connecting one).
 *   <li>Injected libraries are read from {@code LD_PRELOAD}/{@code LD_AUDIT} in the environment the
 *       process started with ({@code /proc/<pid>/environ}); a process can overwrite that memory
 *       afterwards, so this catches the careless, not the determined.
  <li>A same-user process can write into the peer's memory through {@code /proc/<pid>/mem} without
 *       becoming its tracer. The opt-in {@link dev.peerid.linux.LinuxPeerBackend#checkingMappedLibraries()}
 *       backend sees such writes into the executable's code and constants made before the check
 *       (the page is then an anonymous copy in {@code /proc/<pid>/pagemap}), not writes into
 *       data, the heap, libraries or anything after the check.
 *   <li>Interpreters are recognised by the running file's name and by content equal to an
 *       interpreter installed on this system (PATH, /usr/bin, /bin, ... and the JDK's bin), so a
 *       renamed copy of a signed python is still python. An interpreter built by someone else,
 *       signed by a trusted key and renamed, is not recognised: do not sign interpreters with a
 *       key your policies trust.
 *   <li>User and group names come from {@code /etc/passwd} and {@code /etc/group} only (no NSS),
 *       re-read when they change (checked at most once a second).
 * </ul>
 */
package dev.peerid.linux;
