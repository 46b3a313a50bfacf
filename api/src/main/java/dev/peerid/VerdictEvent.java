package dev.peerid;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One decision of a {@link PeerVerifier}, as a JDK Flight Recorder event: recorded only while a
 * recording enables it ({@code jfr print --events dev.peerid.Verdict}); otherwise it costs a
 * check of a flag. Its duration is the decision's, from the call to the verdict.
 */
@Name("dev.peerid.Verdict")
@Label("peerid Verdict")
@Category("peerid")
@Description("A PeerVerifier decision about a peer connection or a file")
@StackTrace(false)
final class VerdictEvent extends Event {
  static final String PEER = "peer";
  static final String FILE = "file";

  @Label("Decision")
  @Description("allow or deny")
  String decision;

  @Label("Subject")
  @Description("peer (a connection or a process) or file (verifyFile)")
  String subject;

  @Label("Process Id")
  @Description("-1 when unknown (a file, or a peer that could not be identified)")
  long pid = -1;

  @Label("User Id")
  @Description("-1 when unknown")
  long uid = -1;

  @Label("Executable")
  String executable;

  @Label("Format")
  String format;

  @Label("Status")
  String status;

  @Label("Signer")
  @Description("the trust name, else the subject, else the key id")
  String signer;

  @Label("Reasons")
  String reasons;

  @Label("Cache Hit")
  @Description("the executable's verification came from the cache")
  boolean cacheHit;

  VerdictEvent(String subject) {
    this.subject = subject;
  }

  /** Ends and commits the event when a recording wants it. */
  void commit(Verdict verdict, boolean fromCache) {
    end();
    if (!shouldCommit()) {
      return;
    }
    decision = verdict.isAllowed() ? "allow" : "deny";
    cacheHit = fromCache;
    reasons = String.join("; ", verdict.reasons());
    verdict.identity().ifPresent(id -> {
      id.process().ifPresent(p -> {
        pid = p.pid();
        uid = p.uid();
      });
      executable = id.executable().path();
      format = id.signature().format().id();
      status = id.signature().status().id();
      signer = id.signature().signer()
          .map(s -> s.trustName().or(s::subject).or(s::keyId).orElse(null)).orElse(null);
    });
    commit();
  }
}
