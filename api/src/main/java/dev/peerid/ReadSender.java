package dev.peerid;

import java.util.Objects;
import java.util.Optional;

/**
 * Who wrote the data the next read of a socket would return, as {@link SenderCheck#next()} found
 * it at the head of the socket's queue: the verified process (or another one accepted since), some
 * other process (to verify on its own before reading a byte of it), or nobody yet.
 */
public final class ReadSender {
  /** What kind of answer this is. */
  public enum Kind {
    /** Nothing is queued: look again when the socket is readable. */
    NOTHING_QUEUED,
    /** The peer closed its end and everything it sent was read: the next read returns end of stream. */
    END_OF_STREAM,
    /** The verified process (or one accepted with {@link SenderCheck#admit}), running the same file. */
    VERIFIED,
    /** Another process: verify {@link #handle()} before reading; its data stays queued until then. */
    OTHER
  }

  public static final ReadSender NOTHING_QUEUED = new ReadSender(Kind.NOTHING_QUEUED, 0, null);
  public static final ReadSender END_OF_STREAM = new ReadSender(Kind.END_OF_STREAM, 0, null);

  private final Kind kind;
  private final long pid;
  private final PeerHandle handle;

  private ReadSender(Kind kind, long pid, PeerHandle handle) {
    this.kind = kind;
    this.pid = pid;
    this.handle = handle;
  }

  /** Data from the verified (or an accepted) process, {@code pid}. */
  public static ReadSender verified(long pid) {
    return new ReadSender(Kind.VERIFIED, pid, null);
  }

  /** Data from another process, pinned by {@code handle}, which the same backend accepts. */
  public static ReadSender other(long pid, PeerHandle handle) {
    return new ReadSender(Kind.OTHER, pid, Objects.requireNonNull(handle, "handle"));
  }

  public Kind kind() {
    return kind;
  }

  /** True when the next read returns only data of the verified (or an accepted) process. */
  public boolean isVerified() {
    return kind == Kind.VERIFIED;
  }

  /** The writer's pid; 0 for {@link Kind#NOTHING_QUEUED} and {@link Kind#END_OF_STREAM}. */
  public long pid() {
    return pid;
  }

  /** For {@link Kind#OTHER}: the writer, pinned, to give to {@link PeerVerifier#open}. */
  public Optional<PeerHandle> handle() {
    return Optional.ofNullable(handle);
  }

  @Override
  public String toString() {
    return kind == Kind.VERIFIED || kind == Kind.OTHER ? kind + " (pid " + pid + ")" : kind.toString();
  }
}
