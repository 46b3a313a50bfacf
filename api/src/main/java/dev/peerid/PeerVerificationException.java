package dev.peerid;

import java.security.GeneralSecurityException;

/** A peer was not authenticated: either it was refused or it could not be identified. Both deny. */
public abstract class PeerVerificationException extends GeneralSecurityException {
  protected PeerVerificationException(String message, Throwable cause) {
    super(message, cause);
  }
}
