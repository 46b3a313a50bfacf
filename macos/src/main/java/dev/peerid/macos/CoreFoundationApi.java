package dev.peerid.macos;

import com.sun.jna.Pointer;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The CoreFoundation operations the backend needs, as one small interface so that tests can mock it
 * and count that every object created is released. {@code create*} return owned objects; values read
 * out of a dictionary or array are borrowed and never released.
 */
interface CoreFoundationApi {

  Pointer createData(byte[] bytes);

  Pointer createString(String value);

  /** A 32-bit signed CFNumber. */
  Pointer createNumber(int value);

  /** A one-entry dictionary (the dictionary retains key and value; the caller still releases its own). */
  Pointer createDictionary(Pointer key, Pointer value);

  void release(Pointer object);

  /** The value for a string key, borrowed; null when absent. */
  Pointer dictionaryValue(Pointer dictionary, String key);

  OptionalLong numberValue(Pointer number);

  Optional<String> stringValue(Pointer string);

  Optional<byte[]> dataValue(Pointer data);

  List<Pointer> arrayValues(Pointer array);

  /** Whether the object is a CFDictionary (false for null). */
  boolean isDictionary(Pointer object);

  /** Keys of a dictionary whose value is the boolean true (entitlements). */
  List<String> trueKeys(Pointer dictionary);
}
