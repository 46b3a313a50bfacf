package dev.peerid;

import java.util.Locale;

/** The kind of code signature an executable carries. */
public enum SignatureFormat {
  /** Linux IMA/EVM signature in {@code security.ima} or an evmctl {@code .sig} sidecar. */
  IMA,
  /** Apple code signature embedded in a Mach-O binary. */
  MACHO,
  /** Microsoft Authenticode signature in a PE image. */
  AUTHENTICODE,
  /** No signature of any known format was found. */
  NONE;

  /** The lower-case name used in JSON ({@code ima}, {@code macho}, {@code authenticode}, {@code none}). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
