package dev.cohort.cluster;

import dev.cohort.persistence.CohortException;
import java.util.Locale;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.cluster.typed.Leave;

/**
 * Operator actions on one member, in the manner of Pekko Management's {@code /cluster/members}:
 * look a member up by its address and make it leave gracefully or mark it down.
 *
 * <p>A member is named by its full address ({@code pekko://cohort@10.0.0.5:2552}), without the
 * protocol ({@code cohort@10.0.0.5:2552}) or by {@code host:port} alone; only members this node
 * currently sees count, so an address that was removed is not found. Stateless and thread-safe: the
 * actions are messages to the cluster manager, which carries them out asynchronously.
 */
public final class MemberOperations {

  /** What an operator may do to a member. */
  public enum Operation {
    /** Graceful: the member hands its shards off, moves to Exiting, and its node shuts down. */
    LEAVE,
    /**
     * Forced: the member is marked Down and removed without a hand-off; its entities restart on the
     * others from the journal. For a node known to be dead, as the split-brain resolver does.
     */
    DOWN;

    /** {@code "leave"} or {@code "down"}, in any case. */
    public static Operation parse(String text) {
      return switch (text.toLowerCase(Locale.ROOT)) {
        case "leave" -> LEAVE;
        case "down" -> DOWN;
        default ->
            throw new CohortException(
                ClusterError.UNKNOWN_OPERATION,
                "operation must be \"leave\" or \"down\", got \"" + text + "\"");
      };
    }

    public String text() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final ActorSystem<?> system;

  public MemberOperations(ActorSystem<?> system) {
    this.system = system;
  }

  /**
   * The member named by {@code address} as this node sees it.
   *
   * @throws CohortException {@link ClusterError#MEMBER_NOT_FOUND} when no current member has it
   */
  public ClusterStatus.MemberInfo find(String address) {
    String full = member(address).address().toString();
    return ClusterStatus.of(system).members().stream()
        .filter(m -> m.address().equals(full))
        .findFirst()
        .orElseThrow(() -> notFound(address));
  }

  /**
   * Asks the cluster to apply {@code operation} to the member named by {@code address}; returns its
   * full address. The member's status changes once the leader has acted (observe it with {@link
   * #find}).
   *
   * @throws CohortException {@link ClusterError#MEMBER_NOT_FOUND} when no current member has it
   */
  public String apply(String address, Operation operation) {
    Address target = member(address).address();
    Cluster cluster = Cluster.get(system);
    switch (operation) {
      case LEAVE -> cluster.manager().tell(Leave.create(target));
      case DOWN -> cluster.manager().tell(new Down(target));
    }
    return target.toString();
  }

  private Member member(String address) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> names(m.address(), address))
        .findFirst()
        .orElseThrow(() -> notFound(address));
  }

  private static boolean names(Address address, String text) {
    String full = address.toString();
    String withoutProtocol = full.substring(full.indexOf("://") + 3);
    String hostPort =
        address.getHost().orElse("") + ":" + address.getPort().map(String::valueOf).orElse("");
    return text.equals(full) || text.equals(withoutProtocol) || text.equals(hostPort);
  }

  private static CohortException notFound(String address) {
    return new CohortException(
        ClusterError.MEMBER_NOT_FOUND,
        "no member with address '"
            + address
            + "' (give pekko://cohort@host:port, cohort@host:port or host:port of a current"
            + " member; GET /v1/cluster lists them)");
  }
}
