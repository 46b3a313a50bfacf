package dev.peerid.macos;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.platform.mac.CoreFoundation;
import com.sun.jna.platform.mac.CoreFoundation.CFArrayRef;
import com.sun.jna.platform.mac.CoreFoundation.CFBooleanRef;
import com.sun.jna.platform.mac.CoreFoundation.CFDataRef;
import com.sun.jna.platform.mac.CoreFoundation.CFDictionaryRef;
import com.sun.jna.platform.mac.CoreFoundation.CFIndex;
import com.sun.jna.platform.mac.CoreFoundation.CFMutableDictionaryRef;
import com.sun.jna.platform.mac.CoreFoundation.CFNumberRef;
import com.sun.jna.platform.mac.CoreFoundation.CFStringRef;
import com.sun.jna.platform.mac.CoreFoundation.CFTypeRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** {@link CoreFoundationApi} over jna-platform's CoreFoundation mapping (macOS only). */
final class JnaCoreFoundation implements CoreFoundationApi {
  private static final int MAX_ITEMS = 4096;
  private final CoreFoundation cf = CoreFoundation.INSTANCE;

  @Override
  public Pointer createData(byte[] bytes) {
    Memory m = new Memory(Math.max(1, bytes.length));
    m.write(0, bytes, 0, bytes.length);
    return pointer(cf.CFDataCreate(null, m, new CFIndex(bytes.length)));
  }

  @Override
  public Pointer createString(String value) {
    return pointer(CFStringRef.createCFString(value));
  }

  @Override
  public Pointer createNumber(int value) {
    return pointer(cf.CFNumberCreate(null, CoreFoundation.CFNumberType.kCFNumberSInt32Type.typeIndex(),
        new com.sun.jna.ptr.IntByReference(value)));
  }

  @Override
  public Pointer createDictionary(Pointer key, Pointer value) {
    if (key == null || value == null) {
      // the kCFType callbacks CFRetain both: NULL would crash the process
      return null;
    }
    // the kCFType callbacks make the dictionary retain (and later release) its key and value
    com.sun.jna.NativeLibrary library = com.sun.jna.NativeLibrary.getInstance("CoreFoundation");
    CFMutableDictionaryRef dict = cf.CFDictionaryCreateMutable(null, new CFIndex(1),
        library.getGlobalVariableAddress("kCFTypeDictionaryKeyCallBacks"),
        library.getGlobalVariableAddress("kCFTypeDictionaryValueCallBacks"));
    if (dict == null) {
      return null;
    }
    cf.CFDictionarySetValue(dict, new CFTypeRef(key), new CFTypeRef(value));
    return dict.getPointer();
  }

  @Override
  public void release(Pointer object) {
    if (object != null) {
      cf.CFRelease(new CFTypeRef(object));
    }
  }

  @Override
  public Pointer dictionaryValue(Pointer dictionary, String key) {
    if (dictionary == null || !isType(dictionary, cf.CFDictionaryGetTypeID().longValue())) {
      return null;
    }
    CFStringRef k = CFStringRef.createCFString(key);
    try {
      return cf.CFDictionaryGetValue(new CFDictionaryRef(dictionary), k);
    } finally {
      k.release();
    }
  }

  @Override
  public OptionalLong numberValue(Pointer number) {
    if (number == null || !isType(number, cf.CFNumberGetTypeID().longValue())) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(new CFNumberRef(number).longValue());
  }

  @Override
  public Optional<String> stringValue(Pointer string) {
    if (string == null || !isType(string, cf.CFStringGetTypeID().longValue())) {
      return Optional.empty();
    }
    return Optional.ofNullable(new CFStringRef(string).stringValue());
  }

  @Override
  public Optional<byte[]> dataValue(Pointer data) {
    if (data == null || !isType(data, cf.CFDataGetTypeID().longValue())) {
      return Optional.empty();
    }
    CFDataRef ref = new CFDataRef(data);
    int length = ref.getLength();
    return Optional.of(length == 0 ? new byte[0] : ref.getBytePtr().getByteArray(0, length));
  }

  @Override
  public List<Pointer> arrayValues(Pointer array) {
    List<Pointer> out = new ArrayList<>();
    if (array == null || !isType(array, cf.CFArrayGetTypeID().longValue())) {
      return out;
    }
    CFArrayRef ref = new CFArrayRef(array);
    int n = Math.min(ref.getCount(), MAX_ITEMS);
    for (int i = 0; i < n; i++) {
      out.add(ref.getValueAtIndex(i));
    }
    return out;
  }

  @Override
  public boolean isDictionary(Pointer object) {
    return object != null && isType(object, cf.CFDictionaryGetTypeID().longValue());
  }

  @Override
  public List<String> trueKeys(Pointer dictionary) {
    List<String> keys = new ArrayList<>();
    if (dictionary == null || !isType(dictionary, cf.CFDictionaryGetTypeID().longValue())) {
      return keys;
    }
    CFDictionaryRef dict = new CFDictionaryRef(dictionary);
    // CFDictionaryGetKeysAndValues writes every entry (CFDictionary.h): the arrays must hold the full
    // count, never a capped one, or a peer signed with many entitlements overruns them. Nor may the
    // list be cut short: a forbidden entitlement past the cap would go unseen.
    long n = cf.CFDictionaryGetCount(dict).longValue();
    if (n <= 0) {
      return keys;
    }
    Memory k = new Memory(Native8.SIZE * n);
    Memory v = new Memory(Native8.SIZE * n);
    KeysAndValues.INSTANCE.CFDictionaryGetKeysAndValues(dictionary, k, v);
    for (long i = 0; i < n; i++) {
      Pointer value = v.getPointer(i * Native8.SIZE);
      if (value != null && isType(value, cf.CFBooleanGetTypeID().longValue())
          && new CFBooleanRef(value).booleanValue()) {
        stringValue(k.getPointer(i * Native8.SIZE)).ifPresent(keys::add);
      }
    }
    return keys;
  }

  /** A Create function's result; JNA maps a NULL return (allocation failure) to a null reference. */
  private static Pointer pointer(com.sun.jna.PointerType created) {
    return created == null ? null : created.getPointer();
  }

  private boolean isType(Pointer p, long typeId) {
    return cf.CFGetTypeID(p).longValue() == typeId;
  }

  /** The one CoreFoundation function jna-platform does not map. */
  private interface KeysAndValues extends com.sun.jna.Library {
    KeysAndValues INSTANCE = com.sun.jna.Native.load("CoreFoundation", KeysAndValues.class);

    void CFDictionaryGetKeysAndValues(Pointer dictionary, Pointer keys, Pointer values);
  }

  /** Pointer size: macOS is 64-bit only. */
  private static final class Native8 {
    static final int SIZE = com.sun.jna.Native.POINTER_SIZE;
  }
}
