package dev.peerid.netty;

/**
 * The limits of {@link PeerAuthentication} that can refuse a new connection; a refused peer's
 * {@link PeerAuthenticationEvent#limit()} names it, and {@link PeerAuthentication#refused} counts
 * the refusals by each.
 */
public enum ConnectionLimit {
  /** Verifications in flight across all peers ({@link PeerAuthentication.Builder#maxPending}): "busy". */
  PENDING,
  /** Connections of one uid waiting for a verdict ({@link PeerAuthentication.Builder#maxPendingPerUid}). */
  PENDING_PER_UID,
  /** Open verified connections of one uid ({@link PeerAuthentication.Builder#maxConnectionsPerUid}). */
  CONNECTIONS_PER_UID,
  /** Open verified connections of one process ({@link PeerAuthentication.Builder#maxConnectionsPerProcess}). */
  CONNECTIONS_PER_PROCESS
}
