package dev.peerid;

/**
 * Whether other processes of the peer's own user can trace it or write into its memory (through
 * {@code ptrace} or {@code /proc/PID/mem}) after it was verified. The policy word
 * {@code protected} holds only for {@link #PROTECTED}.
 */
public enum MemoryProtection {
  /**
   * Other processes of its user cannot trace or write it. On Linux: the process is not dumpable
   * ({@code prctl(PR_SET_DUMPABLE, 0)}, or a setuid, setgid or file-capability program), so its
   * {@code /proc/<pid>} entries belong to root and only a process with {@code CAP_SYS_PTRACE} can
   * reach its memory; and it is in the server's user namespace (in one its user owns, that user
   * holds the capability). A peer running as root is protected too: no ordinary user may trace it.
   */
  PROTECTED,
  /** Any process of its user can trace it or write into its memory. */
  UNPROTECTED,
  /** The platform cannot tell (macOS, Windows: see the hardened runtime on macOS). */
  UNKNOWN
}
