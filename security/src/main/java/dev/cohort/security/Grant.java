package dev.cohort.security;

import dev.cohort.persistence.CohortSerializable;
import java.util.regex.Pattern;

/**
 * One permission of a role: {@code access} on the resources of {@code type} whose name matches
 * {@code name} and, for kv, whose keys start with {@code keyPrefix}.
 *
 * <p>{@code name} is an exact name, a prefix ending in {@code *} ({@code orders-*}), or {@code *}
 * for every name. A request whose resource name is {@link Resource#ALL} (it lists, or its name is
 * in its body) is allowed only by a grant on {@code *}; a kv request on every key only by a grant
 * with an empty key prefix. Invariant: a grant never allows more than its text says.
 *
 * @param type the kind of resource
 * @param name the name pattern
 * @param keyPrefix for kv: the key prefix the grant covers ({@code ""}: every key); empty otherwise
 * @param access the level granted; it covers the levels below it
 */
public record Grant(ResourceType type, String name, String keyPrefix, Access access)
    implements CohortSerializable {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:/-]{1,249}\\*?|\\*");

  /** Validates; bad input throws a {@link SecurityException} with {@code invalid_permission}. */
  public Grant {
    if (type == null || access == null) {
      throw SecurityError.INVALID_PERMISSION.exception("a permission needs a resource and access");
    }
    if (name == null || !NAME.matcher(name).matches()) {
      throw SecurityError.INVALID_PERMISSION.exception(
          "permission name must be '*', a name, or a name prefix ending in '*' (got '"
              + name
              + "')");
    }
    keyPrefix = keyPrefix == null ? "" : keyPrefix;
    if (type != ResourceType.KV && !keyPrefix.isEmpty()) {
      throw SecurityError.INVALID_PERMISSION.exception(
          "a key prefix applies to kv permissions only (got one for " + type.text() + ")");
    }
    if (type == ResourceType.CLUSTER && !Resource.ALL.equals(name)) {
      throw SecurityError.INVALID_PERMISSION.exception("a cluster permission's name must be '*'");
    }
  }

  /** Whether this grant allows {@code needed} on {@code resource}. */
  public boolean allows(Access needed, Resource resource) {
    return type == resource.type()
        && access.covers(needed)
        && nameMatches(resource.name())
        && resource.key().startsWith(keyPrefix);
  }

  private boolean nameMatches(String requested) {
    if (Resource.ALL.equals(name)) {
      return true;
    }
    if (Resource.ALL.equals(requested)) {
      return false;
    }
    if (name.endsWith("*")) {
      return requested.startsWith(name.substring(0, name.length() - 1));
    }
    return name.equals(requested);
  }

  @Override
  public String toString() {
    return access.text()
        + " on "
        + type.text()
        + ":"
        + name
        + (keyPrefix.isEmpty() ? "" : " keys '" + keyPrefix + "*'");
  }
}
