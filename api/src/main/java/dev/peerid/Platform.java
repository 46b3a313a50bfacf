package dev.peerid;

import java.util.Locale;

/** The operating system a peer runs on. */
public enum Platform {
  LINUX,
  MACOS,
  WINDOWS;

  /** The lower-case name used in policies and JSON ({@code linux}, {@code macos}, {@code windows}). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The platform this JVM runs on, or {@code null} when it is none of the three. */
  public static Platform current() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    if (os.startsWith("linux")) {
      return LINUX;
    }
    if (os.startsWith("mac") || os.startsWith("darwin")) {
      return MACOS;
    }
    if (os.startsWith("windows")) {
      return WINDOWS;
    }
    return null;
  }
}
