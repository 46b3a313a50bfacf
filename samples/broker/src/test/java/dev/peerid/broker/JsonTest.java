package dev.peerid.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void writesNestedValuesAndEscapesStrings() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", "a\"b\\c\nd\u0001\u2028");
    m.put("n", 42L);
    m.put("b", true);
    m.put("none", null);
    m.put("opt", Optional.of("x"));
    m.put("empty", Optional.empty());
    m.put("list", Arrays.asList(1, "two", null, List.of()));
    assertEquals("{\"s\":\"a\\\"b\\\\c\\nd\\u0001\\u2028\",\"n\":42,\"b\":true,\"none\":null,\"opt\":\"x\","
        + "\"empty\":null,\"list\":[1,\"two\",null,[]]}", Json.write(m));
  }
}
