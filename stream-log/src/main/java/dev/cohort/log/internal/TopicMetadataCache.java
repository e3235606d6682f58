package dev.cohort.log.internal;

import dev.cohort.persistence.Rejection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * This node's cache of topic metadata (topic id, partition count, configs) from the topic registry,
 * as a Kafka client's metadata: entries younger than {@code metadata-max-age} are used as they are,
 * older ones are still used while one background refresh per topic runs.
 *
 * <p>Invariants: an entry is replaced only by a newer answer of the registry and removed only when
 * the registry refused (the topic is gone) or a topic admin call changed the topic; a timeout or an
 * outage of the registry keeps the entry, so a produce never waits for a registry whose node may
 * just have died. Thread-safe (concurrent maps, no locks).
 */
final class TopicMetadataCache {
  private record Cached(TopicRegistry.TopicMetadata metadata, long loadedNanos) {}

  private final EntityAsks asks;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  /** The background metadata refresh in flight per topic (at most one). */
  private final Map<String, CompletableFuture<TopicRegistry.TopicMetadata>> refreshing =
      new ConcurrentHashMap<>();

  TopicMetadataCache(EntityAsks asks) {
    this.asks = asks;
  }

  /** A topic's metadata, from the cache when younger than {@code metadata-max-age}. */
  CompletableFuture<TopicRegistry.TopicMetadata> metadata(String topic) {
    Cached cached = cache.get(topic);
    if (cached == null) {
      return fresh(topic);
    }
    if (System.nanoTime() - cached.loadedNanos() >= asks.settings().metadataMaxAge().toNanos()) {
      // Refreshed in the background: a produce must not wait for the topic registry, whose node
      // may just have died (its ask would take the whole ask-timeout). A topic deleted meanwhile
      // shows as the partition's rejection, as a Kafka client's stale metadata does.
      refreshing.computeIfAbsent(topic, t -> fresh(t).whenComplete((m, e) -> refreshing.remove(t)));
    }
    return CompletableFuture.completedFuture(cached.metadata());
  }

  /** A topic's metadata from the registry (and into the cache). */
  CompletableFuture<TopicRegistry.TopicMetadata> fresh(String topic) {
    Rejection bad = TopicRegistry.validateName(topic);
    if (bad != null) {
      return EntityAsks.failed(bad);
    }
    return registryTopicAsk(replyTo -> new TopicRegistry.DescribeTopic(topic, replyTo))
        .whenComplete(
            (m, e) -> {
              if (m != null) {
                cache.put(topic, new Cached(m, System.nanoTime()));
              } else if (e != null && EntityAsks.isRejection(e)) {
                // The registry answered: the topic is gone. A timeout keeps the cached entry.
                cache.remove(topic);
              }
            });
  }

  /** Partitions per topic this node has metadata for (for kafka_topic_partitions). */
  Map<String, Integer> partitionCounts() {
    Map<String, Integer> counts = new java.util.TreeMap<>();
    cache.forEach((topic, cached) -> counts.put(topic, cached.metadata().partitions()));
    return counts;
  }

  /** Forgets a topic that a topic admin call changed (or tried to). */
  void invalidate(String topic) {
    cache.remove(topic);
  }

  /** Asks the registry for a topic's metadata; its refusal fails the future. */
  CompletableFuture<TopicRegistry.TopicMetadata> registryTopicAsk(
      Function<ActorRef<TopicRegistry.Reply>, TopicRegistry.Command> command) {
    return asks.askRegistry(command)
        .thenCompose(
            reply ->
                switch (reply) {
                  case TopicRegistry.TopicMetadata m -> CompletableFuture.completedFuture(m);
                  case TopicRegistry.Rejected r -> EntityAsks.failed(r.rejection());
                  default ->
                      CompletableFuture.failedFuture(
                          new IllegalStateException("unexpected " + reply));
                });
  }
}
