package dev.cohort.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What a grant allows: names, name prefixes, key prefixes, access levels, and nothing more. */
class GrantTest {

  @Test
  void keyPrefixGrantCoversKeysUnderItOnly() {
    Grant grant = new Grant(ResourceType.KV, "default", "app/", Access.READ);
    assertTrue(grant.allows(Access.READ, Resource.kv("default", "app/config")));
    assertTrue(grant.allows(Access.READ, Resource.kv("default", "app/")));
    assertFalse(grant.allows(Access.READ, Resource.kv("default", "ap")));
    assertFalse(grant.allows(Access.READ, Resource.kv("default", "other/x")));
    assertFalse(grant.allows(Access.READ, Resource.keyspace("default")), "all keys");
    assertFalse(grant.allows(Access.READ, Resource.kv("other", "app/config")));
    assertFalse(grant.allows(Access.WRITE, Resource.kv("default", "app/config")));
  }

  @Test
  void levelsAreOrdered() {
    Grant admin = new Grant(ResourceType.TOPIC, "orders", "", Access.ADMIN);
    for (Access access : Access.values()) {
      assertTrue(admin.allows(access, Resource.topic("orders")), access.text());
    }
    Grant write = new Grant(ResourceType.TOPIC, "orders", "", Access.WRITE);
    assertTrue(write.allows(Access.READ, Resource.topic("orders")));
    assertFalse(write.allows(Access.ADMIN, Resource.topic("orders")));
  }

  @Test
  void namePrefixAndWildcard() {
    Grant prefix = new Grant(ResourceType.TOPIC, "orders-*", "", Access.READ);
    assertTrue(prefix.allows(Access.READ, Resource.topic("orders-eu")));
    assertFalse(prefix.allows(Access.READ, Resource.topic("order")));
    assertFalse(prefix.allows(Access.READ, Resource.all(ResourceType.TOPIC)), "listing all");
    Grant all = new Grant(ResourceType.TOPIC, "*", "", Access.READ);
    assertTrue(all.allows(Access.READ, Resource.all(ResourceType.TOPIC)));
    assertFalse(all.allows(Access.READ, Resource.group("g")), "other type");
  }

  @Test
  void rootAllowsEverythingAndOtherRolesOnlyTheirGrants() {
    Role root = new Role(Role.ROOT, List.of());
    assertTrue(root.allows(Access.ADMIN, Resource.cluster()));
    Role reader = new Role("reader", List.of(new Grant(ResourceType.SAGA, "pay", "", Access.READ)));
    assertTrue(reader.allows(Access.READ, Resource.saga("pay")));
    assertFalse(reader.allows(Access.READ, Resource.cluster()));
  }

  @Test
  void malformedGrantsAreRefusedWithTheirCode() {
    SecurityException e =
        assertThrows(
            SecurityException.class,
            () -> new Grant(ResourceType.TOPIC, "orders", "x/", Access.READ));
    assertEquals("invalid_permission", e.code());
    assertThrows(
        SecurityException.class, () -> new Grant(ResourceType.TOPIC, "a b", "", Access.READ));
    assertThrows(
        SecurityException.class, () -> new Grant(ResourceType.CLUSTER, "x", "", Access.READ));
    assertEquals(
        "invalid_permission",
        assertThrows(SecurityException.class, () -> Access.parse("rw")).code());
  }
}
