/**
 * peerid's API: {@link dev.peerid.PeerVerifier}, its policy, trust store and verdicts, and the
 * service interfaces ({@link dev.peerid.spi}) an operating system's backend and a signature
 * format's verifier implement. The backends are found through {@link java.util.ServiceLoader}.
 */
module dev.peerid {
  requires java.naming;
  requires jdk.jfr;

  exports dev.peerid;
  exports dev.peerid.spi;

  uses dev.peerid.spi.PeerBackend;
  uses dev.peerid.spi.ExecutableVerifier;
}
