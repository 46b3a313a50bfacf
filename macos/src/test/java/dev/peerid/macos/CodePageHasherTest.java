package dev.peerid.macos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Page hashing of a real file read from disk and from memory, including a file that shrinks. */
class CodePageHasherTest {
  @TempDir Path tmp;

  private static List<CodeDirectory> directories(byte[] file, MachOSlice slice) throws Exception {
    SuperBlob blobs = SuperBlob.parse(java.util.Arrays.copyOfRange(file, (int) slice.signatureOffset(),
        (int) slice.signatureOffset() + slice.signatureSize()));
    return List.of(CodeDirectory.parse(blobs.blob(0).orElseThrow(), 0),
        CodeDirectory.parse(blobs.blob(0x1000).orElseThrow(), 0x1000));
  }

  @Test
  void fileAndInMemoryHashingAgree() throws Exception {
    byte[] file = MachOSamples.bytes(MachOSamples.NETTY_KQUEUE);
    MachOSlice slice = Tamper.thin(file);
    Path path = Files.write(tmp.resolve("netty"), file);
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      assertEquals(Optional.empty(), CodePageHasher.check(ByteSource.of(channel), slice, directories(file, slice)));
    }
    assertEquals(Optional.empty(), CodePageHasher.check(ByteSource.of(file), slice, directories(file, slice)));
  }

  @Test
  void aFileThatShrinksWhileItIsReadGivesAReason() throws Exception {
    byte[] file = MachOSamples.bytes(MachOSamples.NETTY_KQUEUE);
    MachOSlice slice = Tamper.thin(file);
    Path path = Files.write(tmp.resolve("netty"), file);
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteSource disk = ByteSource.of(channel);
      ByteSource shrinking = new ByteSource() {
        @Override
        public long size() {
          return disk.size();
        }

        @Override
        public byte[] read(long position, int length) throws IOException, MachOFormatException {
          return disk.read(position, length);
        }

        @Override
        public int readInto(long position, ByteBuffer buffer) throws IOException {
          channel.truncate(8192); // the attacker truncates the file while it is being hashed
          return disk.readInto(position, buffer);
        }
      };
      Optional<String> reason = CodePageHasher.check(shrinking, slice, directories(file, slice));
      assertTrue(reason.isPresent());
      assertTrue(reason.get().contains("truncated"), reason.get());
    }
  }
}
