package dev.cohort.kafka.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The Kafka brokers of the cluster: every Up member whose roles carry a Kafka endpoint role ({@code
 * kafka-endpoint:host:port}, added to a node's roles when its listener is on), with the broker id
 * derived from the member's address ({@link BrokerIdentity#nodeIdOf}). Read from the cluster state
 * each time, so nodes that join or leave appear and disappear with their membership.
 */
final class ClusterBrokers {
  static final String ROLE_PREFIX = "kafka-endpoint:";

  record Broker(int nodeId, String host, int port, String address) {}

  private final ActorSystem<?> system;
  private final BrokerIdentity self;

  ClusterBrokers(ActorSystem<?> system, BrokerIdentity self) {
    this.system = system;
    this.self = self;
  }

  BrokerIdentity self() {
    return self;
  }

  /** Every Up member with a Kafka endpoint, this node included. */
  List<Broker> brokers() {
    List<Broker> out = new ArrayList<>();
    for (Member m : Cluster.get(system).state().getMembers()) {
      if (m.status() != MemberStatus.up() && m.status() != MemberStatus.weaklyUp()) {
        continue;
      }
      endpoint(m).ifPresent(out::add);
    }
    if (out.stream().noneMatch(b -> b.nodeId() == self.nodeId())) {
      out.add(new Broker(self.nodeId(), self.host(), self.port(), self.address()));
    }
    return out;
  }

  /** The broker on the member at {@code address}, if it is up and runs a listener. */
  Optional<Broker> at(String address) {
    if (address.equals(self.address())) {
      return Optional.of(new Broker(self.nodeId(), self.host(), self.port(), self.address()));
    }
    return brokers().stream().filter(b -> b.address().equals(address)).findFirst();
  }

  boolean alone() {
    var members = Cluster.get(system).state().getMembers().iterator();
    if (members.hasNext()) {
      members.next();
    }
    return !members.hasNext();
  }

  private static Optional<Broker> endpoint(Member m) {
    for (String role : m.getRoles()) {
      if (role.startsWith(ROLE_PREFIX)) {
        String hostPort = role.substring(ROLE_PREFIX.length());
        int colon = hostPort.lastIndexOf(':');
        if (colon > 0) {
          try {
            String address = m.address().toString();
            return Optional.of(
                new Broker(
                    BrokerIdentity.nodeIdOf(address),
                    hostPort.substring(0, colon),
                    Integer.parseInt(hostPort.substring(colon + 1)),
                    address));
          } catch (NumberFormatException e) {
            return Optional.empty();
          }
        }
      }
    }
    return Optional.empty();
  }
}
