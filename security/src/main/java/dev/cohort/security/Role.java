package dev.cohort.security;

import dev.cohort.persistence.CohortSerializable;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A named set of grants that users hold. The built-in {@link #ROOT} role allows everything; it is
 * never stored, cannot be changed or deleted, and at least one user must hold it before auth can be
 * enabled.
 *
 * @param name the role's name
 * @param grants its permissions, in the order they were granted, without duplicates
 */
public record Role(String name, List<Grant> grants) implements CohortSerializable {
  /** The built-in role that allows every access on every resource. */
  public static final String ROOT = "root";

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  public Role {
    grants = List.copyOf(grants);
  }

  /** Whether {@code name} is a legal role or user name: {@code [a-z0-9][a-z0-9._-]{0,63}}. */
  public static boolean validName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** Whether this role allows {@code needed} on {@code resource}. */
  public boolean allows(Access needed, Resource resource) {
    return ROOT.equals(name) || grants.stream().anyMatch(g -> g.allows(needed, resource));
  }
}
