package dev.peerid.windows;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * CATALOG_INFO (mscat.h): the path of a catalog file, as CryptCATCatalogInfoFromContext fills it.
 * The WCHAR[MAX_PATH] array is mapped as bytes and decoded as UTF-16LE here: JNA would lay out a
 * Java {@code char[]} as the host's wchar_t, which is 4 bytes off Windows. Public only because JNA needs it.
 */
@Structure.FieldOrder({"cbStruct", "wszCatalogFile"})
public final class CatalogInfo extends Structure {
  static final int MAX_PATH = 260;

  public int cbStruct;
  public byte[] wszCatalogFile = new byte[MAX_PATH * 2];

  public CatalogInfo() {
    super();
    cbStruct = size();
  }

  CatalogInfo(Pointer p) {
    super(p);
    read();
  }

  /** The catalog path up to its terminating NUL; empty when the buffer holds no terminated, non-empty path. */
  Optional<String> catalogFile() {
    for (int i = 0; i + 1 < wszCatalogFile.length; i += 2) {
      if (wszCatalogFile[i] == 0 && wszCatalogFile[i + 1] == 0) {
        return i == 0 ? Optional.empty()
            : Optional.of(new String(wszCatalogFile, 0, i, StandardCharsets.UTF_16LE));
      }
    }
    return Optional.empty();
  }

  int offsetOf(String field) {
    return fieldOffset(field);
  }
}
