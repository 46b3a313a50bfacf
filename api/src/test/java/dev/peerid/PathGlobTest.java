package dev.peerid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PathGlobTest {

  @ParameterizedTest(name = "{0} ~ {1} = {2}")
  @CsvSource({
      "/usr/bin/*,            /usr/bin/ls,                 true",
      "/usr/bin/*,            /usr/bin/,                   true",
      "/usr/bin/*,            /usr/bin/x/y,                false",
      "/usr/*/ls,             /usr/bin/ls,                 true",
      "/usr/*/ls,             /usr/ls,                     false",
      "/usr/**,               /usr/lib/x86_64/libc.so,     true",
      "/usr/**,               /usr/,                       true",
      "/usr/**,               /usr,                        false",
      "/opt/**/bin/client,    /opt/bin/client,             true",
      "/opt/**/bin/client,    /opt/a/b/c/bin/client,       true",
      "/opt/**/bin/client,    /opt/a/bbin/client,          false",
      "/opt/**/bin/client,    /optbin/client,              false",
      "/opt/**/x,             /opt/ax,                     false",
      "/opt/**/x,             /opt/a/b/x,                  true",
      "**/client,             /opt/x/client,               true",
      "**/client,             client,                      true",
      "**,                    /anything/at/all,            true",
      "/opt/v?ndor/app,       /opt/vendor/app,             true",
      "/opt/v?ndor/app,       /opt/v/ndor/app,             false",
      "/opt/[a-c]pp,          /opt/bpp,                    true",
      "/opt/[a-c]pp,          /opt/dpp,                    false",
      "/opt/[!a-c]pp,         /opt/dpp,                    true",
      "/opt/[^a-c]pp,         /opt/app,                    false",
      "/opt/[!a]pp,           /opt//pp,                    false",
      "/opt/[]]x,             /opt/]x,                     true",
      "/opt/[*]x,             /opt/*x,                     true",
      "/opt/[*]x,             /opt/ax,                     false",
      "/opt/[a-],             /opt/-,                      true",
      "/opt/app,              /opt/app,                    true",
      "/opt/app,              /opt/apps,                   false",
      "/opt/*.exe,            /opt/tool.exe,               true",
      "*a*a*a*a*a*a*a*a*b,    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, false",
      "'C:\\Program Files\\Vendor\\*.exe', 'C:\\Program Files\\Vendor\\client.exe', true",
      "'C:\\Program Files\\Vendor\\*.exe', 'C:\\Program Files\\Vendor\\sub\\client.exe', false",
      "'C:\\Program Files\\**\\client.exe', 'C:\\Program Files\\client.exe', true",
      "'',                    '',                          true",
      "'',                    /x,                          false",
  })
  void matches(String pattern, String path, boolean expected) throws Exception {
    assertEquals(expected, PathGlob.compile(pattern).matches(path));
  }

  @Test
  void malformedPatterns() {
    assertThrows(PathGlob.SyntaxException.class, () -> PathGlob.compile("/opt/[abc"));
    assertThrows(PathGlob.SyntaxException.class, () -> PathGlob.compile("/opt/[]"));
    assertThrows(PathGlob.SyntaxException.class, () -> PathGlob.compile("/opt/[z-a]"));
    assertThrows(PathGlob.SyntaxException.class, () -> PathGlob.compile("x".repeat(PathGlob.MAX_PATTERN + 1)));
  }

  @Test
  void hostilePatternsStayLinear() throws Exception {
    // Exponential for a backtracking matcher; one pass here.
    PathGlob glob = PathGlob.compile("*".repeat(2000) + "**".repeat(1000) + "b");
    assertEquals(false, glob.matches("a".repeat(4000)));
    assertEquals(false, glob.matches("a".repeat(PathGlob.MAX_PATH + 1)));
  }
}
