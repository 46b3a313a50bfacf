package dev.peerid.macos;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.ptr.IntByReference;

/** The libSystem calls the macOS backend makes; the one native boundary for libc, mocked in tests. */
interface LibC extends Library {
  int SOL_LOCAL = 0;
  int LOCAL_PEERCRED = 1;
  int LOCAL_PEERPID = 2;
  int LOCAL_PEERTOKEN = 6;
  int CS_OPS_STATUS = 0;
  /** The XML entitlements blob the kernel holds for the process (xnu {@code bsd/sys/codesign.h}). */
  int CS_OPS_ENTITLEMENTS_BLOB = 7;
  /** The DER entitlements blob (macOS 12+; older kernels answer an unknown op with EINVAL). */
  int CS_OPS_DER_ENTITLEMENTS_BLOB = 16;
  /** errno values (xnu {@code bsd/sys/errno.h}) that csops answers with. */
  int ESRCH = 3;
  int EINVAL = 22;
  int ERANGE = 34;
  int EBADEXEC = 85;
  int PROC_PIDPATHINFO_MAXSIZE = 4096;
  int PROC_PIDTBSDINFO = 3;
  /** {@code sizeof(struct proc_bsdinfo)}. */
  int PROC_BSDINFO_SIZE = ProcBsdInfo.SIZE;

  int getsockopt(int fd, int level, int option, byte[] value, IntByReference length) throws LastErrorException;

  /** {@code csops_audittoken(pid, ops, useraddr, usersize, token)}: code-signing state of exactly that process. */
  int csops_audittoken(int pid, int ops, byte[] useraddr, long usersize, byte[] token) throws LastErrorException;

  /** {@code csops(pid, ops, useraddr, usersize)}: by pid, for inspection of a bare pid only (racy). */
  int csops(int pid, int ops, byte[] useraddr, long usersize) throws LastErrorException;

  /** libproc {@code proc_pidinfo}; with PROC_PIDTBSDINFO fills a {@code struct proc_bsdinfo}. */
  int proc_pidinfo(int pid, int flavor, long arg, byte[] buffer, int buffersize) throws LastErrorException;

  /** libproc: the path of the executable a pid runs (a bare pid, for inspection only: racy). */
  int proc_pidpath(int pid, byte[] buffer, int size) throws LastErrorException;

  /**
   * libproc (macOS 11+, as LOCAL_PEERTOKEN): the path of the executable of exactly the process the
   * audit token names; the kernel refuses (ESRCH) when the pid now runs another exec.
   */
  int proc_pidpath_audittoken(byte[] token, byte[] buffer, int size) throws LastErrorException;
}
