package dev.cohort.security;

import dev.cohort.persistence.CohortSerializable;
import java.util.List;

/**
 * A user as the API shows it: never its password or hash.
 *
 * @param name the user's name
 * @param roles the roles it holds, sorted
 */
public record UserInfo(String name, List<String> roles) implements CohortSerializable {
  public UserInfo {
    roles = List.copyOf(roles);
  }
}
