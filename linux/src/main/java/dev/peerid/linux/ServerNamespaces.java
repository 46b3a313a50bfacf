package dev.peerid.linux;

import dev.peerid.FileIdentity;
import dev.peerid.MemoryProtection;
import dev.peerid.Namespaces;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The server's own user namespace, mount namespace (each by the inode number its {@code ns/} link
 * names, which names it for the whole boot) and root directory (by device and inode), and how a
 * peer's compare with them.
 *
 * <p>Why the user namespace is read on every connection and the other two only with the other
 * facts of a full read: a process can enter a new user namespace at any moment ({@code unshare},
 * no privilege needed) but never return to an ancestor, and in the server's user namespace it
 * cannot change its mount namespace or root without {@code CAP_SYS_ADMIN} or
 * {@code CAP_SYS_CHROOT} there, which an unprivileged peer does not have.
 */
final class ServerNamespaces {
  /** Null where the kernel has no such namespace (built without it): then every process shares it. */
  private final String user;
  private final String mount;
  private final Place root;

  /** A namespace or directory by device and inode (its times are not part of what it is). */
  record Place(long device, long inode) {
    static Place of(FileIdentity f) {
      return new Place(f.device(), f.inode());
    }
  }

  ServerNamespaces(String user, String mount, Place root) {
    this.user = user;
    this.mount = mount;
    this.root = root;
  }

  /** This process's own, read from {@code /proc/self}. */
  static ServerNamespaces ofThisProcess() throws IOException {
    return new ServerNamespaces(link("ns/user"), link("ns/mnt"), place("root"));
  }

  private static String link(String name) throws IOException {
    try {
      return Files.readSymbolicLink(Path.of("/proc/self", name)).toString();
    } catch (NoSuchFileException e) {
      return null; // a kernel without that namespace (CONFIG_USER_NS=n) has no such link
    }
  }

  private static Place place(String name) throws IOException {
    Map<String, Object> a;
    try {
      a = Files.readAttributes(Path.of("/proc/self", name), "unix:dev,ino");
    } catch (NoSuchFileException e) {
      return null;
    }
    return new Place(((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue());
  }

  /** The peer's namespaces, read by path: the caller confirms afterwards that the pid was still its process's. */
  Namespaces of(ProcFs proc, long pid) throws IOException {
    return new Namespaces(differs(user, proc, pid, ProcFs.USER_NAMESPACE),
        differs(mount, proc, pid, ProcFs.MOUNT_NAMESPACE),
        root != null && !root.equals(Place.of(proc.linkTarget(pid, ProcFs.ROOT))));
  }

  /** Whether the peer is in a user namespace other than the server's, read by path (confirm the pid after). */
  boolean inOwnUserNamespace(ProcFs proc, long pid) throws IOException {
    return differs(user, proc, pid, ProcFs.USER_NAMESPACE);
  }

  private static boolean differs(String servers, ProcFs proc, long pid, byte[] link) throws IOException {
    return servers != null && !servers.equals(proc.namespace(pid, link));
  }

  /** Whether the process whose {@code /proc/<pid>} is {@code procDir} is in the server's user namespace now. */
  boolean sharesUserNamespace(ProcFs proc, long pid, int procDir) throws IOException {
    return user == null || user.equals(proc.userNamespaceAt(pid, procDir));
  }

  /**
   * Whether other processes of the peer's user can write into it, from the owner the kernel gives
   * its {@code /proc/<pid>/stat}: root while it is not dumpable (or when it runs as root, which no
   * ordinary user may trace either). In a user namespace its user owns, that user holds
   * {@code CAP_SYS_PTRACE} over it whatever its dumpable flag says.
   */
  static MemoryProtection protection(long dumpOwner, boolean ownUserNamespace) {
    return dumpOwner == 0 && !ownUserNamespace ? MemoryProtection.PROTECTED : MemoryProtection.UNPROTECTED;
  }
}
