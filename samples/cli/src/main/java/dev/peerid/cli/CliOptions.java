package dev.peerid.cli;

import java.util.ArrayList;
import java.util.List;

/** The parsed command line of one command. */
record CliOptions(
    List<String> trust,
    List<String> revoke,
    String policy,
    boolean json,
    String key,
    String cert,
    String hash,
    boolean sidecar,
    boolean strict,
    List<String> operands,
    List<String> trustTsa,
    String arch) {

  static CliOptions parse(String command, String[] args) throws UsageException {
    List<String> trust = new ArrayList<>();
    List<String> revoke = new ArrayList<>();
    String policy = null;
    boolean json = false;
    String key = null;
    String cert = null;
    String hash = null;
    boolean sidecar = false;
    boolean strict = false;
    List<String> operands = new ArrayList<>();
    List<String> trustTsa = new ArrayList<>();
    String arch = null;
    boolean signing = command.equals("sign");
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String inlineValue = null;
      if (a.startsWith("--") && a.contains("=")) {
        inlineValue = a.substring(a.indexOf('=') + 1);
        a = a.substring(0, a.indexOf('='));
      }
      switch (a) {
        case "--trust", "--trust-tsa", "--arch", "--revoke", "--policy", "--key", "--cert", "--hash" -> {
          String v = inlineValue;
          if (v == null) {
            if (i + 1 >= args.length) {
              throw new UsageException("missing value after " + a);
            }
            v = args[++i];
          }
          boolean signOnly = a.equals("--key") || a.equals("--cert") || a.equals("--hash");
          if (signOnly != signing) {
            throw new UsageException(a + " does not apply to '" + command + "'");
          }
          if (a.equals("--arch") && !command.equals("verify")) {
            throw new UsageException("--arch applies to 'verify' only");
          }
          switch (a) {
            case "--trust" -> trust.add(v);
            case "--trust-tsa" -> trustTsa.add(v);
            case "--arch" -> {
              if (arch != null) {
                throw new UsageException("--arch given twice");
              }
              arch = v;
            }
            case "--revoke" -> revoke.add(v);
            case "--policy" -> {
              if (policy != null) {
                throw new UsageException("--policy given twice");
              }
              policy = v;
            }
            case "--key" -> key = v;
            case "--cert" -> cert = v;
            default -> hash = v;
          }
        }
        case "--json" -> {
          if (signing) {
            throw new UsageException("--json does not apply to 'sign'");
          }
          json = true;
        }
        case "--sidecar" -> {
          if (!signing) {
            throw new UsageException("--sidecar applies to 'sign' only");
          }
          sidecar = true;
        }
        case "--strict" -> {
          if (!command.equals("inspect")) {
            throw new UsageException("--strict applies to 'inspect' only");
          }
          strict = true;
        }
        case "--" -> {
          for (i++; i < args.length; i++) {
            operands.add(args[i]);
          }
        }
        default -> {
          if (a.startsWith("-") && a.length() > 1) {
            throw new UsageException("unknown option " + a);
          }
          operands.add(args[i]);
        }
      }
    }
    return new CliOptions(List.copyOf(trust), List.copyOf(revoke), policy == null ? "signed" : policy, json, key,
        cert, hash, sidecar, strict, List.copyOf(operands), List.copyOf(trustTsa), arch);
  }
}
