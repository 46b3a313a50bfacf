package dev.peerid.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.netty.Tools;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

class AccessRulesTest {
  @Test
  void readsRoutesTopicsAndSocketMode() throws Exception {
    Tools.requirePolicy();
    AccessRules r = AccessRules.parse("test", String.join("\n",
        "# comment",
        "connect signed by \"vendor\"   # trailing comment",
        "route GET /whoami signed",
        "route POST /topics/* uid = 0",
        "topic publish alerts signed by \"vendor\" and uid = 0",
        "topic read alerts signed",
        "socket-mode 0660"));
    assertTrue(r.connect().isPresent());
    assertTrue(r.route("GET", "/whoami").isPresent());
    assertTrue(r.route("POST", "/topics/x").isPresent());
    assertTrue(r.route("GET", "/topics/x").isEmpty());
    assertTrue(r.publish("alerts").isPresent());
    assertTrue(r.read("alerts").isPresent());
    assertTrue(r.read("other").isEmpty());
    assertEquals(PosixFilePermissions.fromString("rw-rw----"), r.socketMode().orElseThrow());
  }

  @Test
  void namesTheLineOfEveryMistake() {
    assertEquals("cfg line 2: unknown rule 'listen' (expected connect, route, topic, socket-mode, audit, "
        + "max-stored-bytes, max-topic-bytes, idle-timeout or header-timeout)",
        assertThrows(AccessRules.ConfigException.class, () -> AccessRules.parse("cfg", "\nlisten here")).getMessage());
    assertEquals("cfg line 1: socket mode must be octal like 0600, got '0999'",
        assertThrows(AccessRules.ConfigException.class, () -> AccessRules.parse("cfg", "socket-mode 0999")).getMessage());
    assertEquals("cfg line 1: expected 'topic publish|read NAME EXPRESSION'",
        assertThrows(AccessRules.ConfigException.class, () -> AccessRules.parse("cfg", "topic write x signed")).getMessage());
    assertEquals("cfg line 1: a route path starts with '/', got 'whoami'",
        assertThrows(AccessRules.ConfigException.class, () -> AccessRules.parse("cfg", "route GET whoami signed")).getMessage());
  }

  @Test
  void aBadExpressionIsAnErrorWithItsLine() {
    Tools.requirePolicy();
    String msg = assertThrows(AccessRules.ConfigException.class,
        () -> AccessRules.parse("cfg", "connect signed\nroute GET /x signed by")).getMessage();
    assertTrue(msg.startsWith("cfg line 2: "), msg);
  }

  @Test
  void limitsAreReadWithUnitsAndDefaultsStandForTheOthers() throws Exception {
    BrokerLimits l = AccessRules.parse("cfg", "max-stored-bytes 64MiB\nmax-topic-bytes 512KiB\nidle-timeout 2m\n"
        + "header-timeout 500ms").limits();
    assertEquals(new BrokerLimits(64L << 20, 512L << 10, java.time.Duration.ofMinutes(2),
        java.time.Duration.ofMillis(500)), l);
    BrokerLimits d = AccessRules.parse("cfg", "idle-timeout 30s").limits();
    assertEquals(BrokerLimits.DEFAULTS.maxStoredBytes(), d.maxStoredBytes());
    assertEquals(java.time.Duration.ofSeconds(30), d.idleTimeout());
    assertEquals(BrokerLimits.DEFAULTS, AccessRules.empty().limits());
    assertEquals(32L << 20, BrokerLimits.DEFAULTS.maxStoredBytes());
    assertEquals(1L << 20, BrokerLimits.DEFAULTS.topicBudget());
  }

  @Test
  void aBadLimitNamesItsLineAndWhatWasExpected() {
    assertEquals("cfg line 1: max-topic-bytes: expected a size such as 65536, 512KiB or 32MiB, got 'lots'",
        assertThrows(AccessRules.ConfigException.class, () -> AccessRules.parse("cfg", "max-topic-bytes lots")).getMessage());
    assertEquals("cfg line 1: idle-timeout: must be more than 0 and at most a day, got '0s'",
        assertThrows(AccessRules.ConfigException.class, () -> AccessRules.parse("cfg", "idle-timeout 0s")).getMessage());
    assertEquals("cfg line 2: a second 'header-timeout'",
        assertThrows(AccessRules.ConfigException.class,
            () -> AccessRules.parse("cfg", "header-timeout 1s\nheader-timeout 2s")).getMessage());
    assertEquals("cfg line 1: expected 'idle-timeout VALUE'",
        assertThrows(AccessRules.ConfigException.class, () -> AccessRules.parse("cfg", "idle-timeout")).getMessage());
  }
}
