package dev.cohort.security;

import dev.cohort.persistence.CohortSerializable;
import java.util.Locale;

/**
 * The kinds of resource a permission names. Written by ordinal: add types only at the end.
 *
 * <ul>
 *   <li>{@code KV}: a keyspace, and within it a key prefix (as etcd's role permissions on key
 *       ranges);
 *   <li>{@code TOPIC}: a stream-log topic;
 *   <li>{@code GROUP}: a consumer group;
 *   <li>{@code SAGA}: a saga definition and its instances;
 *   <li>{@code TRAINING}: a training job;
 *   <li>{@code CLUSTER}: the node and the cluster themselves: membership, shards, counters,
 *       projections, and (with admin) users, roles and the auth switch.
 * </ul>
 */
public enum ResourceType implements CohortSerializable {
  KV,
  TOPIC,
  GROUP,
  SAGA,
  TRAINING,
  CLUSTER;

  /** The lower-case name used in JSON and the CLI. */
  public String text() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** A type by its name, in any case. */
  public static ResourceType parse(String text) {
    if (text != null) {
      for (ResourceType type : values()) {
        if (type.text().equalsIgnoreCase(text)) {
          return type;
        }
      }
    }
    throw SecurityError.INVALID_PERMISSION.exception(
        "resource must be one of kv, topic, group, saga, training, cluster (got '" + text + "')");
  }
}
