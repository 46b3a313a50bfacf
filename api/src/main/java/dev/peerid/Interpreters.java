package dev.peerid;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises programs that run code their own signature does not cover: script interpreters,
 * shells and JVM launchers. Judged by the executable actually running (never by argv, which a
 * process can rewrite). Backends may add stronger checks (e.g. comparing digests with the
 * system's interpreters, so that a renamed copy is caught too).
 */
public final class Interpreters {
  private static final Pattern NAME = Pattern.compile(
      "(python|pypy|perl|ruby|node|nodejs|deno|bun|php|php-cgi|lua|luajit|tclsh|wish|expect|gawk|awk|mawk|nawk"
          + "|bash|sh|dash|zsh|ksh|mksh|csh|tcsh|fish|busybox|ash|rbash|osascript|pwsh|powershell|cmd|wscript"
          + "|cscript|mshta|java|javaw|jshell|jrunscript|groovy|scala|kotlin|Rscript|R|guile|sbcl|irb|gdb|lldb)"
          + "(?:[0-9]+(?:\\.[0-9]+)*)?(?:-[0-9.]+)?(?:\\.exe)?",
      Pattern.CASE_INSENSITIVE);
  /**
   * The dynamic loader run as a program ({@code /lib64/ld-linux-x86-64.so.2 ./anything}) loads and
   * runs whatever file it is given, while the process's executable is the loader itself. musl's
   * loader, {@code qemu-user} and {@code valgrind} likewise run code that their signature does not
   * cover.
   */
  private static final Pattern LOADER = Pattern.compile(
      "ld(?:-linux(?:-[a-z0-9_-]+)?|-musl-[a-z0-9_]+)?\\.so(?:\\.[0-9]+)*|ld\\.so|valgrind(?:\\.bin)?|qemu-[a-z0-9_]+",
      Pattern.CASE_INSENSITIVE);

  private Interpreters() {}

  /**
   * The interpreter named by an executable path's last component (e.g. {@code /usr/bin/python3.11}
   * gives {@code python}), or empty.
   */
  public static Optional<String> byPath(String path) {
    if (path == null || path.isEmpty()) {
      return Optional.empty();
    }
    String name = path;
    if (name.endsWith(" (deleted)")) {
      name = name.substring(0, name.length() - " (deleted)".length());
    }
    int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
    name = name.substring(slash + 1);
    Matcher m = NAME.matcher(name);
    if (m.matches()) {
      return Optional.of(m.group(1).toLowerCase(Locale.ROOT));
    }
    if (LOADER.matcher(name).matches()) {
      return Optional.of(name.startsWith("ld") ? "ld.so" : name.toLowerCase(Locale.ROOT).replaceFirst("\\.bin$", ""));
    }
    return Optional.empty();
  }
}
