package dev.peerid.macos;

import java.util.Optional;

/**
 * One architecture's image inside a Mach-O file (the whole file when it is thin).
 *
 * @param architecture    a name such as {@code arm64} or {@code x86_64}, or {@code cpu<type>/<subtype>}
 * @param offset          where the slice starts in the file
 * @param size            the slice's length in bytes
 * @param signatureOffset {@code LC_CODE_SIGNATURE} dataoff, relative to the slice; -1 when unsigned
 * @param signatureSize   {@code LC_CODE_SIGNATURE} datasize; 0 when unsigned
 */
record MachOSlice(String architecture, long offset, long size, long signatureOffset, int signatureSize) {

  boolean isSigned() {
    return signatureOffset >= 0;
  }

  Optional<Long> signatureStart() {
    return isSigned() ? Optional.of(offset + signatureOffset) : Optional.empty();
  }
}
