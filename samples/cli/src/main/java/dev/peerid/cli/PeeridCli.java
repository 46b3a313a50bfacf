package dev.peerid.cli;

import dev.peerid.PeerHandle;
import dev.peerid.PeerVerifier;
import dev.peerid.Platform;
import dev.peerid.Policy;
import dev.peerid.PolicyParseException;
import dev.peerid.TrustStore;
import dev.peerid.TrustStoreException;
import dev.peerid.Verdict;
import dev.peerid.VerdictJson;
import dev.peerid.linux.LinuxPeerBackend;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code peerid} command-line tool.
 *
 * <pre>
 * peerid verify  [OPTIONS] FILE...   verify files' signatures
 * peerid inspect [OPTIONS] [--strict] PID...    identify running processes
 * peerid sign --key KEY.pem [--cert CERT] [--hash ALG] [--sidecar] FILE...
 * </pre>
 *
 * Exit status: 0 every input allowed; 1 at least one denied; 2 usage error or unreadable input.
 */
public final class PeeridCli {
  static final int ALLOWED = 0;
  static final int DENIED = 1;
  static final int USAGE = 2;

  static final String USAGE_TEXT = """
      usage: peerid verify  [OPTIONS] FILE...   verify files' signatures
             peerid inspect [OPTIONS] PID...    identify running processes
             peerid sign --key KEY.pem [--cert CERT.pem] [--hash ALG] [--sidecar] FILE...
      OPTIONS: --trust [NAME=]PATH   trusted certificate, public key, or directory of them (repeatable)
               --trust-tsa [NAME=]PATH  trusted timestamp authority for Authenticode timestamps, never a
                                     publisher; same forms as --trust (repeatable)
               --arch ARCH           verify: judge one slice of a universal Mach-O file (arm64, x86_64)
               --revoke VALUE        revoked cert/key PATH, 8-hex-digit IMA key id, or sha256:HEX (repeatable)
               --policy EXPR         who is allowed (default: signed)
               --json                one JSON object per line per FILE or PID
               --strict              inspect (Linux): also check each process's mapped libraries and
                                     whether its code was modified in memory (reads maps and pagemap)
      exit status: 0 every input allowed; 1 at least one denied; 2 usage error or unreadable input
      """;

  private final PrintStream out;
  private final PrintStream err;

  PeeridCli(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    int status = new PeeridCli(System.out, System.err).run(args);
    System.out.flush();
    System.exit(status);
  }

  int run(String[] args) {
    try {
      if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
        (args.length == 0 ? err : out).print(USAGE_TEXT);
        return args.length == 0 ? USAGE : ALLOWED;
      }
      String command = args[0];
      CliOptions options = CliOptions.parse(command, java.util.Arrays.copyOfRange(args, 1, args.length));
      return switch (command) {
        case "verify" -> verify(options);
        case "inspect" -> inspect(options);
        case "sign" -> SignCommand.run(options, out, err);
        default -> throw new UsageException("unknown command '" + command + "' (expected verify, inspect or sign)");
      };
    } catch (UsageException e) {
      err.println("peerid: " + e.getMessage());
      if (e.getMessage().startsWith("unknown") || e.getMessage().startsWith("missing")) {
        err.print(USAGE_TEXT);
      }
      return USAGE;
    } catch (RuntimeException e) {
      err.println("peerid: internal error: " + e);
      return USAGE;
    }
  }

  private int verify(CliOptions options) throws UsageException {
    if (options.operands().isEmpty()) {
      throw new UsageException("missing FILE: verify needs at least one file");
    }
    int status = ALLOWED;
    try (PeerVerifier verifier = verifier(options)) {
      for (String name : options.operands()) {
        Path file = Path.of(name);
        Verdict verdict;
        try {
          verdict = options.arch() == null ? verifier.verifyFile(file) : verifier.verifyFile(file, options.arch());
        } catch (NoSuchFileException e) {
          err.println("peerid: " + name + ": no such file");
          status = USAGE;
          continue;
        } catch (IOException e) {
          err.println("peerid: " + name + ": cannot read (" + e.getMessage() + ")");
          status = USAGE;
          continue;
        }
        print(options, name, null, verdict);
        if (!verdict.isAllowed() && status == ALLOWED) {
          status = DENIED;
        }
      }
    }
    return status;
  }

  private int inspect(CliOptions options) throws UsageException {
    if (options.operands().isEmpty()) {
      throw new UsageException("missing PID: inspect needs at least one process id");
    }
    List<Long> pids = new ArrayList<>();
    for (String operand : options.operands()) {
      try {
        long pid = Long.parseLong(operand);
        if (pid <= 0) {
          throw new NumberFormatException();
        }
        pids.add(pid);
      } catch (NumberFormatException e) {
        throw new UsageException("'" + operand + "' is not a process id (a positive integer)");
      }
    }
    int status = ALLOWED;
    try (PeerVerifier verifier = verifier(options)) {
      for (long pid : pids) {
        if (!Files.exists(Path.of("/proc/" + pid)) && Files.isDirectory(Path.of("/proc/self"))) {
          err.println("peerid: pid " + pid + ": no such process");
          status = USAGE;
          continue;
        }
        Verdict verdict = verifier.verify(PeerHandle.pid(pid));
        print(options, "pid " + pid, pid, verdict);
        if (!verdict.isAllowed() && status == ALLOWED) {
          status = DENIED;
        }
      }
    }
    return status;
  }

  private void print(CliOptions options, String input, Long pid, Verdict verdict) {
    if (options.json()) {
      out.println(VerdictJson.write(Report.toMap(input, pid, verdict)));
    } else {
      out.print(Report.toText(input, pid, verdict));
    }
  }

  private static PeerVerifier verifier(CliOptions options) throws UsageException {
    TrustStore.Builder trust = TrustStore.builder();
    try {
      for (String t : options.trust()) {
        trust.trust(t);
      }
      for (String t : options.trustTsa()) {
        trust.trustTimestampAuthority(t);
      }
      for (String r : options.revoke()) {
        trust.revoke(r);
      }
    } catch (TrustStoreException | IllegalArgumentException e) {
      throw new UsageException(e.getMessage(), e);
    }
    Policy policy;
    try {
      policy = Policy.parse(options.policy());
    } catch (PolicyParseException e) {
      throw new UsageException("bad --policy: " + e.getMessage(), e);
    }
    PeerVerifier.Builder b = PeerVerifier.builder().trustStore(trust.build()).policy(policy).threads(1);
    if (options.strict()) {
      if (Platform.current() != Platform.LINUX) {
        throw new UsageException("--strict needs Linux: it reads /proc/PID/maps and /proc/PID/pagemap");
      }
      b.backend(LinuxPeerBackend.checkingMappedLibraries());
    }
    return b.build();
  }
}
