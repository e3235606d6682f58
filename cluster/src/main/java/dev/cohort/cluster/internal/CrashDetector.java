package dev.cohort.cluster.internal;

import dev.cohort.cluster.CrashDetectionSettings;
import dev.cohort.observability.Metrics;
import io.prometheus.metrics.core.metrics.Counter;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.remote.RemoteActorRefProvider;
import scala.Option;

/**
 * Downs and quarantines a member as soon as its process is known to be gone, instead of leaving it
 * to the failure detector and the split-brain resolver (about 3.5 s together). One {@link
 * ProcessWatch} per other Up member holds an idle connection to its remoting port and reports when,
 * after the connection closed, the port refuses connections.
 *
 * <p>Invariants: only members that are Up or WeaklyUp are watched (Pekko unbinds a node's remoting
 * only after it left, so a leaving node's closed port is no crash); a member is downed only while
 * this node sees a strict majority of the members reachable, the rule the split-brain resolver's
 * keep-majority applies, so the minority side of a partition never downs the majority; a restarted
 * node is a new incarnation with a new watch, and a report about an incarnation that is no longer a
 * member changes nothing. Partitions and paused processes keep their connections open or let
 * connects time out, and stay with the failure detector and the split-brain resolver.
 */
public final class CrashDetector extends AbstractBehavior<CrashDetector.Command> {

  /** The detector's protocol; only the cluster subscription and the watches send it. Local only. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  /**
   * Membership changed, or the periodic check is due: start and stop watches to match this node's
   * view of the membership. The view ({@code Cluster.state()}) is updated by another actor and may
   * lag the event that announced the change, so the check also runs every {@code retry-interval}.
   */
  record MembersChanged() implements Command {}

  /** A watched incarnation's remoting port refused a connection after its connection closed. */
  record ProcessGone(UniqueAddress member) implements Command {}

  private final CrashDetectionSettings settings;
  private final Cluster cluster;
  private final Map<UniqueAddress, ProcessWatch> watches = new HashMap<>();
  private final Counter downs;

  public static Behavior<Command> create(CrashDetectionSettings settings) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(new MembersChanged(), settings.retryInterval());
                  return new CrashDetector(context, settings);
                }));
  }

  private CrashDetector(ActorContext<Command> context, CrashDetectionSettings settings) {
    super(context);
    this.settings = settings;
    this.cluster = Cluster.get(context.getSystem());
    this.downs =
        Metrics.get(context.getSystem())
            .counter(
                "cohort_cluster_crash_downs",
                "Members this node downed because their process was gone (their remoting port"
                    + " refused connections), before the failure detector noticed");
    cluster
        .subscriptions()
        .tell(
            Subscribe.create(
                context.messageAdapter(ClusterEvent.MemberEvent.class, e -> new MembersChanged()),
                ClusterEvent.MemberEvent.class));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(MembersChanged.class, m -> reconcile())
        .onMessage(ProcessGone.class, this::onGone)
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, s -> stopAll())
        .build();
  }

  private Behavior<Command> reconcile() {
    UniqueAddress self = cluster.selfMember().uniqueAddress();
    Set<UniqueAddress> watched =
        members().stream()
            .filter(m -> isWatched(m.status()) && !m.uniqueAddress().equals(self))
            .map(Member::uniqueAddress)
            .collect(Collectors.toSet());
    watches
        .entrySet()
        .removeIf(
            e -> {
              if (watched.contains(e.getKey())) {
                return false;
              }
              e.getValue().close();
              return true;
            });
    for (UniqueAddress member : watched) {
      watches.computeIfAbsent(member, this::startWatch);
    }
    return this;
  }

  private ProcessWatch startWatch(UniqueAddress member) {
    Address address = member.address();
    ProcessWatch watch =
        new ProcessWatch(
            new InetSocketAddress(address.getHost().get(), (Integer) address.getPort().get()),
            settings.connectTimeout(),
            settings.retryInterval(),
            () -> getContext().getSelf().tell(new ProcessGone(member)));
    watch.start("cohort-process-watch-" + address.getHost().get() + ":" + address.getPort().get());
    return watch;
  }

  private Behavior<Command> onGone(ProcessGone gone) {
    ProcessWatch watch = watches.remove(gone.member());
    if (watch != null) {
      watch.close();
    }
    Set<Member> members = members();
    Member member =
        members.stream()
            .filter(m -> m.uniqueAddress().equals(gone.member()))
            .findFirst()
            .orElse(null);
    if (member == null || !isWatched(member.status())) {
      return this;
    }
    Set<UniqueAddress> unreachable =
        StreamSupport.stream(cluster.state().getUnreachable().spliterator(), false)
            .map(Member::uniqueAddress)
            .collect(Collectors.toSet());
    MajorityView view = MajorityView.of(members, unreachable, gone.member());
    if (!view.hasMajority()) {
      getContext()
          .getLog()
          .warn(
              "The process of {} is gone (its remoting port refuses connections), but this node"
                  + " sees only {} of {} members reachable: leaving it to the split-brain resolver",
              gone.member().address(),
              view.reachable(),
              view.members());
      return this;
    }
    getContext()
        .getLog()
        .warn(
            "Downing {} (uid {}): its process is gone (its remoting port refuses connections);"
                + " {} of {} members reachable from here",
            gone.member().address(),
            gone.member().longUid(),
            view.reachable(),
            view.members());
    downs.inc();
    cluster.manager().tell(new Down(gone.member().address()));
    quarantine(gone.member());
    return this;
  }

  /**
   * Quarantines the gone incarnation, which makes this node's cluster core mark it terminated: a
   * member that is Down but still counts as reachable is removed only once the failure detector
   * gives up on it (about 2 s), which is the wait this class exists to save. Quarantine is what
   * remoting does to an incarnation that can never come back, which a dead process is; a restarted
   * process is a new incarnation and joins normally. Hazard: {@code RemoteTransport.quarantine} is
   * Pekko's internal API (public in the bytecode); {@code CrashDowningFaultTest} proves the removal
   * on every upgrade.
   */
  private void quarantine(UniqueAddress member) {
    ExtendedActorSystem classic = (ExtendedActorSystem) Adapter.toClassic(getContext().getSystem());
    ((RemoteActorRefProvider) classic.provider())
        .transport()
        .quarantine(
            member.address(),
            Option.apply((Object) member.longUid()),
            "its process is gone (its remoting port refuses connections)");
  }

  private Set<Member> members() {
    return StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
        .collect(Collectors.toSet());
  }

  private static boolean isWatched(MemberStatus status) {
    return status == MemberStatus.up() || status == MemberStatus.weaklyUp();
  }

  private Behavior<Command> stopAll() {
    watches.values().forEach(ProcessWatch::close);
    watches.clear();
    return this;
  }
}
