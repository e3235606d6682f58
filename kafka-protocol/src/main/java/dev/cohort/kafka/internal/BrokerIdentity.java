package dev.cohort.kafka.internal;

import dev.cohort.kafka.KafkaSettings;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * How this node presents itself to Kafka clients: its cluster address, a broker id derived from it
 * (stable for a node that keeps its host and remoting port, and below Kafka's coordinator-id
 * range), the advertised host and Kafka port, and the cluster id (the actor system's name).
 */
record BrokerIdentity(int nodeId, String host, int port, String clusterId, String address) {

  static BrokerIdentity of(ActorSystem<?> system, KafkaSettings settings) {
    String address = Cluster.get(system).selfMember().address().toString();
    return new BrokerIdentity(
        nodeIdOf(address), settings.advertisedHost(), settings.port(), system.name(), address);
  }

  /**
   * A non-negative id below 2^30 for a cluster address, so that Integer.MAX_VALUE − id stays above
   * it.
   */
  static int nodeIdOf(String clusterAddress) {
    return clusterAddress.hashCode() & 0x3fffffff;
  }
}
