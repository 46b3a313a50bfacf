package dev.peerid;

/**
 * Where a peer process runs relative to the server: in the server's own user namespace, mount
 * namespace and root directory, or in ones of its own. Linux only; on other platforms every field
 * is false ({@link #SERVERS}), their "not available" value.
 *
 * <p>A peer in a user namespace of its own holds every capability there. With them it can point
 * its own {@code /proc/PID/exe} at any file it can open ({@code prctl(PR_SET_MM_MAP)} with
 * {@code exe_fd}) and give itself a private mount namespace ({@code /etc/ld.so.preload}, bind
 * mounts over libraries or the vendor's directory): its executable's identity is then no evidence
 * of the code it runs. A private mount namespace or root alone, in the server's user namespace, is
 * normal for services ({@code PrivateTmp=}, {@code ProtectSystem=}) and needs privilege to make.
 *
 * @param ownUser  the peer is in a user namespace other than the server's
 * @param ownMount the peer is in a mount namespace other than the server's
 * @param ownRoot  the peer's root directory is not the server's
 */
public record Namespaces(boolean ownUser, boolean ownMount, boolean ownRoot) {
  /** The server's own namespaces, and the value on platforms without namespaces. */
  public static final Namespaces SERVERS = new Namespaces(false, false, false);
}
