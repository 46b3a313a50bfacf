package dev.peerid.broker;

import dev.peerid.Policy;
import dev.peerid.PolicyParseException;
import dev.peerid.TrustStore;
import dev.peerid.TrustStoreException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;

/**
 * {@code broker serve --socket PATH [--trust [NAME=]PATH]… [--trust-tsa [NAME=]PATH]… [--revoke VALUE]… [--policy EXPR]
 * [--config FILE] [--socket-mode OCTAL] [--no-refusal]} and {@code broker demo [--sidecar] [--keep]}.
 */
public final class BrokerMain {
  static final String USAGE = String.join("\n",
      "usage: java -jar broker.jar serve --socket PATH [--trust [NAME=]PATH]... [--trust-tsa [NAME=]PATH]...",
      "                                  [--revoke VALUE]... [--policy EXPR] [--config FILE] [--socket-mode OCTAL] [--no-refusal]",
      "                                  [--max-stored-bytes SIZE] [--max-topic-bytes SIZE]",
      "                                  [--idle-timeout DURATION] [--header-timeout DURATION]",
      "       java -jar broker.jar demo [--sidecar]",
      "",
      "serve  runs the broker on a Unix socket: GET /whoami, POST|GET /topics/NAME.",
      "       --trust      a trusted certificate or public key (PEM/DER, file or directory), named NAME",
      "       --trust-tsa  a trusted timestamp authority for Authenticode timestamps (never a publisher)",
      "       --revoke     sha256:<certificate fingerprint>, an 8-hex-digit IMA key id, or a key/cert file",
      "       --policy     who may connect, in the peerid policy language (default: signed)",
      "       --config     connection, route and topic policies (see docs/netty.md)",
      "       --socket-mode  permissions of the socket file (default 0600; e.g. 0660 for a group)",
      "       --no-refusal close denied connections without an HTTP 403",
      "       --max-stored-bytes  messages kept in all, as stored (default 32MiB; past it a publish gets 507)",
      "       --max-topic-bytes   messages kept per topic (default 1MiB; the oldest go first)",
      "       --idle-timeout      close a connection idle this long (default 60s)",
      "       --header-timeout    close a connection whose request is not complete this long after its first byte (default 10s)",
      "demo   signs a copy of curl with a throwaway key, starts a broker on a temporary socket, and shows",
      "       that the signed copy is served while an unsigned copy and a signed interpreter are refused.",
      "       --sidecar    store the signature in FILE.sig even where security.ima could be written");

  private BrokerMain() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      (args.length == 0 ? err : out).println(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    List<String> rest = List.of(args).subList(1, args.length);
    try {
      return switch (args[0]) {
        case "serve" -> serve(rest, out, err);
        case "demo" -> Demo.run(rest, out, err);
        default -> {
          err.println("unknown command '" + args[0] + "'\n" + USAGE);
          yield 2;
        }
      };
    } catch (UsageException e) {
      err.println("broker: " + e.getMessage() + "\n" + USAGE);
      return 2;
    } catch (Exception e) {
      err.println("broker: " + e.getMessage());
      return 1;
    }
  }

  private static int serve(List<String> args, PrintStream out, PrintStream err) throws Exception {
    Broker.Settings settings = parseServe(args, err);
    Broker broker = Broker.start(settings);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      broker.close();
      err.println("broker: stopped, removed " + broker.socket());
    }, "broker-shutdown"));
    out.println("broker: listening on " + broker.socket() + " (connect policy: " + settings.connect().text() + ")");
    out.flush();
    broker.awaitClose();
    return 0;
  }

  static Broker.Settings parseServe(List<String> args, PrintStream err) throws Exception {
    Path socket = null;
    TrustStore.Builder trust = TrustStore.builder();
    boolean anyTrust = false;
    String policy = null;
    Path config = null;
    Set<PosixFilePermission> mode = null;
    boolean refusal = true;
    java.util.Map<BrokerLimits.Option, String> limitOptions = new java.util.EnumMap<>(BrokerLimits.Option.class);
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      var limit = a.startsWith("--") ? BrokerLimits.Option.named(a.substring(2)) : java.util.Optional.<BrokerLimits.Option>empty();
      if (limit.isPresent()) {
        limitOptions.put(limit.get(), value(args, ++i, a));
        continue;
      }
      switch (a) {
        case "--socket" -> socket = Path.of(value(args, ++i, a));
        case "--trust" -> {
          try {
            trust.trust(value(args, ++i, a));
          } catch (TrustStoreException e) {
            throw new UsageException("--trust: " + e.getMessage());
          }
          anyTrust = true;
        }
        case "--trust-tsa" -> {
          try {
            trust.trustTimestampAuthority(value(args, ++i, a));
          } catch (TrustStoreException e) {
            throw new UsageException("--trust-tsa: " + e.getMessage());
          }
        }
        case "--revoke" -> {
          try {
            trust.revoke(value(args, ++i, a));
          } catch (TrustStoreException | IllegalArgumentException e) {
            throw new UsageException("--revoke: " + e.getMessage());
          }
        }
        case "--policy" -> policy = value(args, ++i, a);
        case "--config" -> config = Path.of(value(args, ++i, a));
        case "--socket-mode" -> mode = modeOption(value(args, ++i, a));
        case "--no-refusal" -> refusal = false;
        default -> throw new UsageException("unknown option '" + a + "'");
      }
    }
    if (socket == null) {
      throw new UsageException("--socket PATH is required");
    }
    AccessRules rules = config == null ? AccessRules.empty() : AccessRules.load(config);
    if (policy != null && rules.connect().isPresent()) {
      throw new UsageException("give the connection policy either with --policy or in the config file, not both");
    }
    Policy connect;
    try {
      connect = policy != null ? Policy.parse(policy) : rules.connect().orElse(Policy.parse("signed"));
    } catch (PolicyParseException e) {
      throw new UsageException("--policy: " + e.getMessage());
    }
    if (!anyTrust) {
      err.println("broker: warning: no --trust given, so no signature is trusted and only policies without "
          + "'signed' can allow anyone");
    }
    Set<PosixFilePermission> socketMode = mode != null ? mode
        : rules.socketMode().orElse(AccessRules.mode("default", "0600"));
    BrokerLimits limits = rules.limits();
    for (var e : limitOptions.entrySet()) {
      try {
        limits = e.getKey().apply(limits, e.getValue());
      } catch (IllegalArgumentException bad) {
        throw new UsageException("--" + bad.getMessage());
      }
    }
    return new Broker.Settings(socket, trust.build(), connect, rules, socketMode, refusal, null, limits);
  }

  private static Set<PosixFilePermission> modeOption(String v) throws UsageException {
    try {
      return AccessRules.mode("--socket-mode", v);
    } catch (AccessRules.ConfigException e) {
      throw new UsageException(e.getMessage());
    }
  }

  private static String value(List<String> args, int i, String option) throws UsageException {
    if (i >= args.size()) {
      throw new UsageException(option + " needs a value");
    }
    return args.get(i);
  }

  /** A command-line mistake: printed with the usage, exit status 2. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }
}
