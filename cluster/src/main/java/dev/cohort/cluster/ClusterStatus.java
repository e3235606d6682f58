package dev.cohort.cluster;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * A point-in-time view of the cluster as this node sees it, for {@code GET /v1/cluster}.
 *
 * @param self this node's address
 * @param selfStatus this node's member status
 * @param leader the leader's address, if any
 * @param oldest the oldest Up member's address (where cluster singletons run), if any
 * @param members every member, ordered by address
 */
public record ClusterStatus(
    String self,
    String selfStatus,
    Optional<String> leader,
    Optional<String> oldest,
    List<MemberInfo> members) {

  /** One member: its address, status, roles and whether this node can reach it. */
  public record MemberInfo(String address, String status, List<String> roles, boolean reachable) {}

  public static ClusterStatus of(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(system);
    ClusterEvent.CurrentClusterState state = cluster.state();
    Set<Member> unreachable = state.getUnreachable();
    List<MemberInfo> members =
        StreamSupport.stream(state.getMembers().spliterator(), false)
            .sorted(Comparator.comparing(m -> m.address().toString()))
            .map(
                m ->
                    new MemberInfo(
                        m.address().toString(),
                        statusName(m.status()),
                        m.getRoles().stream().sorted().toList(),
                        !unreachable.contains(m)))
            .toList();
    Optional<String> oldest =
        StreamSupport.stream(state.getMembers().spliterator(), false)
            .filter(m -> m.status() == MemberStatus.up())
            .reduce((a, b) -> a.isOlderThan(b) ? a : b)
            .map(m -> m.address().toString());
    Member self = cluster.selfMember();
    return new ClusterStatus(
        self.address().toString(),
        statusName(self.status()),
        Optional.ofNullable(state.getLeader()).map(Object::toString),
        oldest,
        members);
  }

  /** Status names as users know them: Joining, WeaklyUp, Up, Leaving, Exiting, Down, Removed. */
  public static String statusName(MemberStatus status) {
    return status.toString();
  }

  /** Members counted per status name. */
  public long count(String status) {
    return members.stream().filter(m -> m.status().equals(status)).count();
  }
}
