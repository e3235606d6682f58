package dev.cohort.kafka.internal;

import dev.cohort.log.StreamLog;
import dev.cohort.log.TopicDescription;
import dev.cohort.log.TopicPartition;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.protocol.Errors;

/**
 * Which node leads a partition, for Kafka clients: the node hosting the partition's entity (from
 * the stream-log's topic description). Produce and Fetch ask {@link #check}: on a node that does
 * not host the partition, and whose host runs a Kafka listener, the answer is
 * NOT_LEADER_OR_FOLLOWER, so the client refreshes its metadata and follows the partition. Hosts are
 * cached for {@code ttl}; a cached "elsewhere" is re-read before it is answered, so a partition
 * that moved here is served at once. In a one-node cluster nothing is looked up.
 */
final class Leadership {
  private record Host(String address, long readAtNanos) {}

  private final StreamLog log;
  private final ClusterBrokers brokers;
  private final long ttlNanos;
  private final ConcurrentHashMap<TopicPartition, Host> hosts = new ConcurrentHashMap<>();

  Leadership(StreamLog log, ClusterBrokers brokers, Duration ttl) {
    this.log = log;
    this.brokers = brokers;
    this.ttlNanos = ttl.toNanos();
  }

  /** Remembers the hosts a fresh topic description shows. */
  void learn(TopicDescription description) {
    long now = System.nanoTime();
    for (TopicDescription.PartitionDescription p : description.partitions()) {
      if (p.node() != null && !p.node().isEmpty()) {
        hosts.put(new TopicPartition(description.name(), p.partition()), new Host(p.node(), now));
      }
    }
  }

  /** NONE when this node may serve the partition, else NOT_LEADER_OR_FOLLOWER. */
  CompletionStage<Errors> check(String topic, int partition) {
    if (brokers.alone()) {
      return CompletableFuture.completedFuture(Errors.NONE);
    }
    TopicPartition tp = new TopicPartition(topic, partition);
    Host cached = hosts.get(tp);
    if (cached != null
        && System.nanoTime() - cached.readAtNanos() < ttlNanos
        && leadsHere(cached.address())) {
      return CompletableFuture.completedFuture(Errors.NONE);
    }
    return log.describeTopic(topic)
        .thenApply(
            d -> {
              learn(d);
              Host fresh = hosts.get(tp);
              return fresh == null || leadsHere(fresh.address())
                  ? Errors.NONE
                  : Errors.NOT_LEADER_OR_FOLLOWER;
            })
        .exceptionally(e -> Errors.NONE);
  }

  /** This node leads a partition hosted at {@code address} if it is here or has no listener. */
  boolean leadsHere(String address) {
    return address.equals(brokers.self().address()) || brokers.at(address).isEmpty();
  }
}
