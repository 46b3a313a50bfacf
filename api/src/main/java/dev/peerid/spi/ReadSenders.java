package dev.peerid.spi;

import dev.peerid.PeerIdentificationException;
import dev.peerid.ReadSender;

/**
 * Tells, before each read of a connected socket, which process wrote the data that read would
 * return, so that a server can refuse data from any process but the one it verified. A backend
 * makes one with {@link PeerBackend#readSenders}; it holds what pins the processes it accepts data
 * from (on Linux, a {@code /proc/<pid>} descriptor each) until closed. One reader at a time.
 */
public interface ReadSenders extends AutoCloseable {

  /**
   * The writer of the data at the head of the socket's receive queue, looked at without taking it.
   * Throws when that writer cannot be identified at all (it is in a PID namespace the server
   * cannot see, or wrote before the kernel was asked to label data with its writer), or when it is
   * a process data was accepted from that now runs another file (an exec after the verdict).
   */
  ReadSender head() throws PeerIdentificationException;

  /**
   * Accepts data from this process too: one that wrote to the socket, was verified on its own
   * (from the handle {@link ReadSender#handle()} gave) and allowed. The caller keeps the process
   * open only as long as it likes: what pins it for these checks is this object's own.
   */
  void admit(PeerProcess process) throws PeerIdentificationException;

  @Override
  void close();
}
