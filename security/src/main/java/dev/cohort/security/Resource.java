package dev.cohort.security;

/**
 * What one request touches, as the permission check sees it.
 *
 * @param type the kind of resource
 * @param name the keyspace, topic, group, saga definition or job; {@link #ALL} when the request
 *     touches several or its name is not known before the request is read (listing topics, creating
 *     one from a body): then only a grant on every name ({@code *}) allows it
 * @param key for {@code KV}: every key the request touches starts with this (a single key is its
 *     own prefix); empty when the request may touch any key of the keyspace. Empty for other types
 */
public record Resource(ResourceType type, String name, String key) {
  /** The name of a request that touches every name of its type, or one not known in advance. */
  public static final String ALL = "*";

  public Resource {
    if (type == null || name == null || key == null) {
      throw new IllegalArgumentException(
          "a resource needs a type, a name and a key (may be empty)");
    }
  }

  /** Keys starting with {@code keyPrefix} in {@code keyspace}. */
  public static Resource kv(String keyspace, String keyPrefix) {
    return new Resource(ResourceType.KV, keyspace, keyPrefix == null ? "" : keyPrefix);
  }

  /** Every key of {@code keyspace}. */
  public static Resource keyspace(String keyspace) {
    return kv(keyspace, "");
  }

  public static Resource topic(String topic) {
    return new Resource(ResourceType.TOPIC, topic, "");
  }

  public static Resource group(String group) {
    return new Resource(ResourceType.GROUP, group, "");
  }

  public static Resource saga(String definition) {
    return new Resource(ResourceType.SAGA, definition, "");
  }

  public static Resource training(String job) {
    return new Resource(ResourceType.TRAINING, job, "");
  }

  /** The node and cluster themselves (membership, users and roles, …). */
  public static Resource cluster() {
    return new Resource(ResourceType.CLUSTER, ALL, "");
  }

  /** Every name of {@code type}. */
  public static Resource all(ResourceType type) {
    return new Resource(type, ALL, "");
  }

  @Override
  public String toString() {
    return type.text() + ":" + name + (key.isEmpty() ? "" : "/" + key);
  }
}
