package dev.peerid.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.PointerType;
import com.sun.jna.Structure;
import com.sun.jna.WString;
import com.sun.jna.platform.win32.WinBase;
import dev.peerid.windows.authenticode.Tools;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the structure mappings against the Windows headers for both 32-bit and 64-bit Windows.
 * The ground truth is what mingw-w64's gcc computes from wintrust.h/wincrypt.h for {@code -m32} and
 * {@code -m64} (offsetof/sizeof compiled to constants, read from the assembly). Our mappings are laid
 * out by an MSVC-rule model from their declared Java field types, for 4- and 8-byte pointers; the
 * model is itself checked against JNA's real layout in this (64-bit) JVM.
 */
class StructureLayoutTest {
  private static final String PROBE = String.join("\n",
      "#define _WIN32_WINNT 0x0A00",
      "#include <windows.h>",
      "#include <wintrust.h>",
      "#include <mscat.h>",
      "#include <stddef.h>",
      "const int layout[] = {",
      " sizeof(WINTRUST_DATA), offsetof(WINTRUST_DATA, cbStruct), offsetof(WINTRUST_DATA, pPolicyCallbackData),",
      " offsetof(WINTRUST_DATA, pSIPClientData), offsetof(WINTRUST_DATA, dwUIChoice),",
      " offsetof(WINTRUST_DATA, fdwRevocationChecks), offsetof(WINTRUST_DATA, dwUnionChoice),",
      " offsetof(WINTRUST_DATA, pFile), offsetof(WINTRUST_DATA, dwStateAction), offsetof(WINTRUST_DATA, hWVTStateData),",
      " offsetof(WINTRUST_DATA, pwszURLReference), offsetof(WINTRUST_DATA, dwProvFlags),",
      " offsetof(WINTRUST_DATA, dwUIContext),",
      " sizeof(WINTRUST_FILE_INFO), offsetof(WINTRUST_FILE_INFO, cbStruct), offsetof(WINTRUST_FILE_INFO, pcwszFilePath),",
      " offsetof(WINTRUST_FILE_INFO, hFile), offsetof(WINTRUST_FILE_INFO, pgKnownSubject),",
      " offsetof(CRYPT_PROVIDER_SGNR, cbStruct), offsetof(CRYPT_PROVIDER_SGNR, sftVerifyAsOf),",
      " offsetof(CRYPT_PROVIDER_SGNR, csCertChain), offsetof(CRYPT_PROVIDER_SGNR, pasCertChain),",
      " offsetof(CRYPT_PROVIDER_CERT, cbStruct), offsetof(CRYPT_PROVIDER_CERT, pCert),",
      " offsetof(CERT_CONTEXT, dwCertEncodingType), offsetof(CERT_CONTEXT, pbCertEncoded),",
      " offsetof(CERT_CONTEXT, cbCertEncoded),",
      " sizeof(WINTRUST_CATALOG_INFO), offsetof(WINTRUST_CATALOG_INFO, cbStruct),",
      " offsetof(WINTRUST_CATALOG_INFO, dwCatalogVersion), offsetof(WINTRUST_CATALOG_INFO, pcwszCatalogFilePath),",
      " offsetof(WINTRUST_CATALOG_INFO, pcwszMemberTag), offsetof(WINTRUST_CATALOG_INFO, pcwszMemberFilePath),",
      " offsetof(WINTRUST_CATALOG_INFO, hMemberFile), offsetof(WINTRUST_CATALOG_INFO, pbCalculatedFileHash),",
      " offsetof(WINTRUST_CATALOG_INFO, cbCalculatedFileHash), offsetof(WINTRUST_CATALOG_INFO, pcCatalogContext),",
      " offsetof(WINTRUST_CATALOG_INFO, hCatAdmin),",
      " sizeof(CATALOG_INFO), offsetof(CATALOG_INFO, cbStruct), offsetof(CATALOG_INFO, wszCatalogFile)",
      "};", "");

  @TempDir
  static Path dir;
  static List<Integer> headers32;
  static List<Integer> headers64;

  @BeforeAll
  static void compileProbe() throws Exception {
    Tools.require("x86_64-w64-mingw32-gcc");
    Files.writeString(dir.resolve("probe.c"), PROBE);
    headers32 = constants(Tools.ok(dir, "x86_64-w64-mingw32-gcc", "-m32", "-S", "-o", "-", "probe.c"));
    headers64 = constants(Tools.ok(dir, "x86_64-w64-mingw32-gcc", "-m64", "-S", "-o", "-", "probe.c"));
    assertEquals(41, headers32.size());
    assertEquals(41, headers64.size());
  }

  private static List<Integer> constants(String assembly) {
    List<Integer> out = new ArrayList<>();
    for (String line : assembly.split("\n")) {
      String t = line.trim();
      if (t.startsWith(".long")) {
        out.add(Integer.parseInt(t.substring(5).trim()));
      }
    }
    return out;
  }

  /** Size then offsets, by the MSVC rules, of a mapping's declared fields for a pointer size. */
  static List<Integer> model(Class<? extends Structure> type, int pointerSize) {
    String[] order = type.getAnnotation(Structure.FieldOrder.class).value();
    Map<String, Integer> offsets = new LinkedHashMap<>();
    int offset = 0;
    int maxAlign = 1;
    for (String name : order) {
      int[] sizeAlign = sizeAndAlignment(type, field(type, name), pointerSize);
      offset = align(offset, sizeAlign[1]);
      offsets.put(name, offset);
      offset += sizeAlign[0];
      maxAlign = Math.max(maxAlign, sizeAlign[1]);
    }
    List<Integer> out = new ArrayList<>();
    out.add(align(offset, maxAlign));
    out.addAll(offsets.values());
    return out;
  }

  private static Field field(Class<?> type, String name) {
    try {
      return type.getField(name);
    } catch (NoSuchFieldException e) {
      throw new AssertionError(type + " has no field " + name, e);
    }
  }

  private static int[] sizeAndAlignment(Class<? extends Structure> type, Field f, int pointerSize) {
    Class<?> t = f.getType();
    if (t == byte[].class) {
      // An inline array: its length is the one a fresh instance allocates.
      try {
        return new int[] {((byte[]) f.get(type.getDeclaredConstructor().newInstance())).length, 1};
      } catch (ReflectiveOperationException e) {
        throw new AssertionError("cannot instantiate " + type, e);
      }
    }
    if (t == int.class) {
      return new int[] {4, 4};
    }
    if (Pointer.class.isAssignableFrom(t) || WString.class.isAssignableFrom(t) || PointerType.class.isAssignableFrom(t)
        || Structure.ByReference.class.isAssignableFrom(t)) {
      return new int[] {pointerSize, pointerSize};
    }
    if (t == WinBase.FILETIME.class) {
      return new int[] {8, 4};
    }
    throw new AssertionError("no layout rule for " + t);
  }

  private static int align(int offset, int alignment) {
    return (offset + alignment - 1) / alignment * alignment;
  }

  @Test
  void winTrustDataOn32And64Bit() {
    assertEquals(headers32.subList(0, 13), model(WinTrustData.class, 4));
    assertEquals(headers64.subList(0, 13), model(WinTrustData.class, 8));
  }

  @Test
  void winTrustFileInfoOn32And64Bit() {
    assertEquals(headers32.subList(13, 18), model(WinTrustFileInfo.class, 4));
    assertEquals(headers64.subList(13, 18), model(WinTrustFileInfo.class, 8));
  }

  @Test
  void providerPrefixesOn32And64Bit() {
    assertEquals(headers32.subList(18, 22), model(CryptProviderStructures.Signer.class, 4).subList(1, 5));
    assertEquals(headers64.subList(18, 22), model(CryptProviderStructures.Signer.class, 8).subList(1, 5));
    assertEquals(headers32.subList(22, 24), model(CryptProviderStructures.Cert.class, 4).subList(1, 3));
    assertEquals(headers64.subList(22, 24), model(CryptProviderStructures.Cert.class, 8).subList(1, 3));
    assertEquals(headers32.subList(24, 27), model(CryptProviderStructures.CertContext.class, 4).subList(1, 4));
    assertEquals(headers64.subList(24, 27), model(CryptProviderStructures.CertContext.class, 8).subList(1, 4));
  }

  @Test
  void winTrustCatalogInfoOn32And64Bit() {
    assertEquals(headers32.subList(27, 38), model(WinTrustCatalogInfo.class, 4));
    assertEquals(headers64.subList(27, 38), model(WinTrustCatalogInfo.class, 8));
  }

  @Test
  void catalogInfoOn32And64Bit() {
    assertEquals(headers32.subList(38, 41), model(CatalogInfo.class, 4));
    assertEquals(headers64.subList(38, 41), model(CatalogInfo.class, 8));
  }

  @Test
  void modelMatchesJnaInThisJvm() {
    int p = Native.POINTER_SIZE;
    WinTrustData data = new WinTrustData();
    List<Integer> expected = model(WinTrustData.class, p);
    assertEquals(expected.get(0), data.size());
    assertEquals(data.size(), data.cbStruct, "cbStruct is filled with the mapped size");
    String[] fields = WinTrustData.class.getAnnotation(Structure.FieldOrder.class).value();
    for (int i = 0; i < fields.length; i++) {
      assertEquals(expected.get(i + 1), data.offsetOf(fields[i]), fields[i]);
    }
    WinTrustFileInfo info = new WinTrustFileInfo();
    assertEquals(model(WinTrustFileInfo.class, p).get(0), info.size());
    assertEquals(model(WinTrustFileInfo.class, p).get(3), info.offsetOf("hFile"));
    WinTrustCatalogInfo catalogInfo = new WinTrustCatalogInfo();
    List<Integer> catalogModel = model(WinTrustCatalogInfo.class, p);
    assertEquals(catalogModel.get(0), catalogInfo.size());
    assertEquals(catalogInfo.size(), catalogInfo.cbStruct, "cbStruct is filled with the mapped size");
    String[] catalogFields = WinTrustCatalogInfo.class.getAnnotation(Structure.FieldOrder.class).value();
    for (int i = 0; i < catalogFields.length; i++) {
      assertEquals(catalogModel.get(i + 1), catalogInfo.offsetOf(catalogFields[i]), catalogFields[i]);
    }
    CatalogInfo catalogPath = new CatalogInfo();
    assertEquals(model(CatalogInfo.class, p).get(0), catalogPath.size());
    assertEquals(catalogPath.size(), catalogPath.cbStruct, "cbStruct is filled with the mapped size");
    assertEquals(model(CatalogInfo.class, p).get(2), catalogPath.offsetOf("wszCatalogFile"));
    CryptProviderStructures.Signer signer = new CryptProviderStructures.Signer();
    assertEquals(model(CryptProviderStructures.Signer.class, p).get(4), signer.offsetOf("pasCertChain"));
    CryptProviderStructures.CertContext context = new CryptProviderStructures.CertContext();
    assertEquals(model(CryptProviderStructures.CertContext.class, p).get(3), context.offsetOf("cbCertEncoded"));
  }
}
