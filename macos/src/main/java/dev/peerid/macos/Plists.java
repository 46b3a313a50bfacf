package dev.peerid.macos;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Reads the two things we need from XML property lists (entitlements, the CMS cdhashes attribute)
 * with a streaming parser that neither loads DTDs nor expands external entities.
 */
final class Plists {
  static final int MAX_PLIST_BYTES = 1 << 20;
  private static final int MAX_DEPTH = 64;

  private Plists() {}

  /** Keys of the top-level dictionary whose value is {@code <true/>}, in file order. */
  static List<String> topLevelTrueKeys(byte[] xml) throws MachOFormatException {
    List<String> keys = new ArrayList<>();
    walk(xml, (depth, key, element, r) -> {
      if (depth == 3 && key != null && element.equals("true")) {
        keys.add(key);
      }
    });
    return keys;
  }

  /** The base64 {@code <data>} items of the array under {@code arrayKey} in the top-level dictionary. */
  static List<byte[]> topLevelDataArray(byte[] xml, String arrayKey) throws MachOFormatException {
    List<byte[]> items = new ArrayList<>();
    List<String> bad = new ArrayList<>();
    walk(xml, (depth, key, element, r) -> {
      if (depth == 4 && arrayKey.equals(key) && element.equals("data")) {
        String text = r.getElementText().replaceAll("\\s", "");
        try {
          items.add(Base64.getDecoder().decode(text));
        } catch (IllegalArgumentException e) {
          bad.add(text);
        }
      }
    });
    if (!bad.isEmpty()) {
      throw new MachOFormatException("plist: bad base64 in <data> under " + arrayKey);
    }
    return items;
  }

  /**
   * Where the XML starts: after a UTF-8 byte-order mark and any whitespace. Apple's property-list
   * parser skips both (real entitlements, e.g. the Node.js binaries', begin with blank lines), while
   * an XML parser refuses anything before the declaration.
   */
  static int prologStart(byte[] xml) {
    int i = 0;
    if (xml.length >= 3 && (xml[0] & 0xff) == 0xef && (xml[1] & 0xff) == 0xbb && (xml[2] & 0xff) == 0xbf) {
      i = 3;
    }
    while (i < xml.length && (xml[i] == ' ' || xml[i] == '\t' || xml[i] == '\n' || xml[i] == '\r')) {
      i++;
    }
    return i;
  }

  private interface Visitor {
    /**
     * Called at each element start; depth 1 is {@code <plist>}, 2 its root object, 3 the root
     * dictionary's keys and values; key is the last top-level key seen. May read the element's text.
     */
    void start(int depth, String key, String element, XMLStreamReader reader) throws XMLStreamException;
  }

  private static void walk(byte[] xml, Visitor visitor) throws MachOFormatException {
    if (xml.length > MAX_PLIST_BYTES) {
      throw new MachOFormatException("plist is " + xml.length + " bytes (at most " + MAX_PLIST_BYTES + ")");
    }
    XMLInputFactory factory = XMLInputFactory.newFactory();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    factory.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
    XMLStreamReader r = null;
    try {
      int start = prologStart(xml);
      r = factory.createXMLStreamReader(new ByteArrayInputStream(xml, start, xml.length - start));
      int depth = 0;
      String topKey = null;
      boolean rootIsDict = false;
      while (r.hasNext()) {
        int event = r.next();
        if (event == XMLStreamConstants.START_ELEMENT) {
          depth++;
          String name = r.getLocalName();
          if (depth > MAX_DEPTH) {
            throw new MachOFormatException("plist nests deeper than " + MAX_DEPTH);
          }
          if (depth == 1 && !name.equals("plist")) {
            throw new MachOFormatException("plist: root element is <" + name + ">");
          }
          if (depth == 2) {
            rootIsDict = name.equals("dict");
          }
          if (depth == 3 && rootIsDict && name.equals("key")) {
            topKey = r.getElementText();
            depth--;
            continue;
          }
          visitor.start(depth, rootIsDict ? topKey : null, name, r);
          if (r.getEventType() == XMLStreamConstants.END_ELEMENT) {
            depth--;
          }
        } else if (event == XMLStreamConstants.END_ELEMENT) {
          depth--;
        }
      }
    } catch (XMLStreamException e) {
      int line = e.getLocation() == null ? -1 : e.getLocation().getLineNumber();
      throw new MachOFormatException("plist is not well-formed XML" + (line > 0 ? " (near line " + line + ")" : ""), e);
    } catch (RuntimeException e) {
      throw new MachOFormatException("plist is not well-formed XML", e);
    } finally {
      if (r != null) {
        try {
          r.close();
        } catch (XMLStreamException ignored) {
          // nothing was held open beyond the byte array
        }
      }
    }
  }
}
