package dev.cohort.log.internal;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.FetchResult;
import dev.cohort.log.GroupAssignment;
import dev.cohort.log.GroupConsumer;
import dev.cohort.log.LogError;
import dev.cohort.log.LogException;
import dev.cohort.log.OffsetAndMetadata;
import dev.cohort.log.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded group member. Joins on first use, heartbeats every {@code heartbeat.interval.ms} on
 * the actor system's scheduler, follows assignment changes, and keeps one position per assigned
 * partition: the committed offset, else {@code auto.offset.reset}.
 *
 * <p>Thread-safety: shared state (membership, assignment, positions) is guarded by {@code this}; no
 * lock is held while waiting for an answer. {@code poll} and the commits are meant for one caller
 * at a time, as with Kafka's consumer.
 */
final class GroupConsumerImpl implements GroupConsumer {
  private static final Logger log = LoggerFactory.getLogger(GroupConsumerImpl.class);

  private final StreamLogImpl streamLog;
  private final String groupId;
  private final List<String> topics;
  private final ConsumerSettings settings;
  private final Cancellable heartbeats;
  private final boolean attached;
  private volatile long lastPollNanos = System.nanoTime();
  private String memberId = "";
  private int generation = -1;
  private List<TopicPartition> assignment = List.of();
  private final Map<TopicPartition, Long> positions = new HashMap<>();
  private CompletableFuture<Void> joined;
  private CompletableFuture<Void> pendingRevocation = CompletableFuture.completedFuture(null);
  private long lastAutoCommitNanos = System.nanoTime();
  private volatile boolean closed;

  GroupConsumerImpl(
      StreamLogImpl log, String groupId, List<String> topics, ConsumerSettings settings) {
    this.streamLog = log;
    this.groupId = groupId;
    this.topics = topics;
    this.settings = settings;
    this.attached = false;
    this.heartbeats =
        log.system()
            .scheduler()
            .scheduleWithFixedDelay(
                settings.heartbeatInterval(),
                settings.heartbeatInterval(),
                this::heartbeatNow,
                log.system().executionContext());
  }

  /**
   * A consumer for a member that joined through the protocol API (the HTTP gateway): it does not
   * join or heartbeat on its own; each poll heartbeats first to learn the current assignment, and
   * keeps the member's positions between polls.
   */
  private GroupConsumerImpl(
      StreamLogImpl log, String groupId, String memberId, ConsumerSettings settings) {
    this.streamLog = log;
    this.groupId = groupId;
    this.topics = List.of();
    this.settings = settings;
    this.attached = true;
    this.heartbeats = null;
    this.memberId = memberId;
    this.joined = CompletableFuture.completedFuture(null);
  }

  static GroupConsumerImpl attach(
      StreamLogImpl log, String groupId, String memberId, ConsumerSettings settings) {
    return new GroupConsumerImpl(log, groupId, memberId, settings);
  }

  /** For attached consumers: the time of the last poll (System.nanoTime). */
  long lastPollNanos() {
    return lastPollNanos;
  }

  private synchronized CompletableFuture<Void> ensureJoined() {
    if (joined == null || joined.isCompletedExceptionally()) {
      joined =
          streamLog
              .joinGroup(groupId, null, topics, settings)
              .toCompletableFuture()
              .thenAccept(this::onAssignment);
    }
    return joined;
  }

  private void heartbeatNow() {
    String member;
    int gen;
    synchronized (this) {
      if (closed || memberId.isEmpty()) {
        return;
      }
      member = memberId;
      gen = generation;
    }
    heartbeat(member, gen);
  }

  private CompletableFuture<Void> heartbeat(String member, int gen) {
    CompletableFuture<Void> revocation;
    synchronized (this) {
      revocation = pendingRevocation;
    }
    // The next heartbeat acknowledges revoked partitions, so it waits for their commit.
    return revocation
        .handle((v, e) -> null)
        .thenCompose(v -> streamLog.heartbeat(groupId, member, gen))
        .toCompletableFuture()
        .thenAccept(this::onAssignment)
        .exceptionally(
            failure -> {
              if (cause(failure) instanceof LogException e && e.is(LogError.UNKNOWN_MEMBER_ID)) {
                synchronized (this) {
                  // Removed by a session timeout: join again as a new member.
                  memberId = "";
                  assignment = List.of();
                  positions.clear();
                  joined = null;
                }
              } else {
                log.debug("heartbeat of {} in {} failed: {}", member, groupId, failure.toString());
              }
              return null;
            });
  }

  private synchronized void onAssignment(GroupAssignment a) {
    if (closed) {
      return;
    }
    memberId = a.memberId();
    generation = a.generation();
    if (!new HashSet<>(a.assignment()).equals(new HashSet<>(assignment))) {
      Map<TopicPartition, OffsetAndMetadata> revoked = new HashMap<>();
      positions.forEach(
          (tp, p) -> {
            if (!a.assignment().contains(tp)) {
              revoked.put(tp, OffsetAndMetadata.of(p));
            }
          });
      positions.keySet().retainAll(new HashSet<>(a.assignment()));
      assignment = List.copyOf(a.assignment());
      if (settings.enableAutoCommit() && !revoked.isEmpty()) {
        // Commit what was consumed from the partitions that move, before acknowledging them.
        pendingRevocation =
            streamLog
                .commitOffsets(groupId, memberId, generation, revoked)
                .toCompletableFuture()
                .handle((d, e) -> null);
      }
    }
  }

  @Override
  public CompletionStage<List<ConsumerRecord>> poll(Duration timeout) {
    if (closed) {
      return CompletableFuture.failedFuture(
          LogError.CONSUMER_CLOSED.exception("the consumer is closed"));
    }
    lastPollNanos = System.nanoTime();
    CompletableFuture<Void> ready;
    if (attached) {
      String member;
      synchronized (this) {
        member = memberId;
      }
      ready =
          streamLog
              .heartbeat(groupId, member, -1)
              .toCompletableFuture()
              .thenAccept(this::onAssignment);
    } else {
      ready = ensureJoined();
    }
    return ready
        .thenCompose(v -> maybeAutoCommit())
        .thenCompose(v -> resolvePositions())
        .thenCompose(v -> fetchAll(Duration.ZERO))
        .thenCompose(
            records ->
                records.isEmpty() && !timeout.isZero()
                    ? fetchAll(timeout)
                    : CompletableFuture.completedFuture(records));
  }

  private CompletableFuture<Void> maybeAutoCommit() {
    if (!settings.enableAutoCommit()
        || System.nanoTime() - lastAutoCommitNanos < settings.autoCommitInterval().toNanos()) {
      return CompletableFuture.completedFuture(null);
    }
    lastAutoCommitNanos = System.nanoTime();
    return commitSync().toCompletableFuture().handle((d, e) -> null);
  }

  /** Gives every assigned partition without a position its committed offset or the reset one. */
  private CompletableFuture<Void> resolvePositions() {
    List<TopicPartition> missing = new ArrayList<>();
    synchronized (this) {
      for (TopicPartition tp : assignment) {
        if (!positions.containsKey(tp)) {
          missing.add(tp);
        }
      }
    }
    if (missing.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return streamLog
        .committedOffsets(groupId)
        .toCompletableFuture()
        .thenCompose(
            committed -> {
              List<CompletableFuture<Void>> all = new ArrayList<>();
              for (TopicPartition tp : missing) {
                OffsetAndMetadata c = committed.get(tp);
                CompletableFuture<Long> start =
                    c != null
                        ? CompletableFuture.completedFuture(c.offset())
                        : streamLog.resetOffset(tp, settings, -1);
                all.add(start.thenAccept(offset -> setPosition(tp, offset, true)));
              }
              return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
            });
  }

  private synchronized void setPosition(TopicPartition tp, long offset, boolean onlyIfMissing) {
    if (assignment.contains(tp) && (!onlyIfMissing || !positions.containsKey(tp))) {
      positions.put(tp, offset);
    }
  }

  private CompletableFuture<List<ConsumerRecord>> fetchAll(Duration wait) {
    Map<TopicPartition, Long> snapshot;
    synchronized (this) {
      snapshot = new HashMap<>(positions);
    }
    if (snapshot.isEmpty()) {
      if (wait.isZero()) {
        return CompletableFuture.completedFuture(List.of());
      }
      // Nothing assigned yet: wait (briefly) for the next heartbeat to bring an assignment.
      Duration pause =
          wait.compareTo(settings.heartbeatInterval()) < 0 ? wait : settings.heartbeatInterval();
      String member;
      int gen;
      synchronized (this) {
        member = memberId;
        gen = generation;
      }
      CompletableFuture<Void> delay = new CompletableFuture<>();
      CompletableFuture.delayedExecutor(pause.toMillis(), TimeUnit.MILLISECONDS)
          .execute(() -> delay.complete(null));
      return delay
          .thenCompose(
              v ->
                  member.isEmpty() || attached
                      ? CompletableFuture.completedFuture(null)
                      : heartbeat(member, gen))
          .thenApply(v -> List.of());
    }
    List<TopicPartition> order = new ArrayList<>(snapshot.keySet());
    order.sort(null);
    List<CompletableFuture<FetchResult>> fetches = new ArrayList<>();
    for (TopicPartition tp : order) {
      long position = snapshot.get(tp);
      fetches.add(
          streamLog
              .fetch(tp.topic(), tp.partition(), position, settings, wait)
              .exceptionallyCompose(
                  failure -> {
                    if (cause(failure) instanceof LogException e
                        && e.is(LogError.OFFSET_OUT_OF_RANGE)) {
                      return streamLog
                          .resetOffset(tp, settings, position)
                          .thenApply(
                              reset -> {
                                setPosition(tp, reset, false);
                                return new FetchResult(List.of(), reset, reset, reset);
                              });
                    }
                    return CompletableFuture.failedFuture(cause(failure));
                  }));
    }
    return CompletableFuture.allOf(fetches.toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              List<ConsumerRecord> out = new ArrayList<>();
              synchronized (this) {
                for (int i = 0; i < order.size(); i++) {
                  TopicPartition tp = order.get(i);
                  FetchResult r = fetches.get(i).join();
                  if (!positions.containsKey(tp)
                      || positions.get(tp) != snapshot.get(tp).longValue()) {
                    continue; // revoked or reset meanwhile
                  }
                  int room = settings.maxPollRecords() - out.size();
                  if (room <= 0) {
                    continue;
                  }
                  List<ConsumerRecord> taken =
                      r.records().size() > room ? r.records().subList(0, room) : r.records();
                  out.addAll(taken);
                  long next =
                      taken.size() < r.records().size()
                          ? taken.getLast().offset() + 1
                          : r.nextOffset();
                  if (!taken.isEmpty() || r.records().isEmpty()) {
                    positions.put(tp, next);
                  }
                }
              }
              return List.copyOf(out);
            });
  }

  @Override
  public CompletionStage<Done> commitSync() {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    synchronized (this) {
      positions.forEach((tp, p) -> offsets.put(tp, OffsetAndMetadata.of(p)));
    }
    if (offsets.isEmpty()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return commit(offsets);
  }

  @Override
  public CompletionStage<Done> commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    String member;
    int gen;
    synchronized (this) {
      member = memberId;
      gen = generation;
    }
    return streamLog
        .commitOffsets(groupId, member, gen, offsets)
        .toCompletableFuture()
        .exceptionallyCompose(
            failure -> {
              if (cause(failure) instanceof LogException e && e.is(LogError.ILLEGAL_GENERATION)) {
                // The group moved on: learn the new generation, then commit what is still ours.
                return heartbeat(member, gen)
                    .thenCompose(
                        v -> {
                          Map<TopicPartition, OffsetAndMetadata> still = new HashMap<>();
                          String m;
                          int g;
                          synchronized (this) {
                            offsets.forEach(
                                (tp, o) -> {
                                  if (assignment.contains(tp)) {
                                    still.put(tp, o);
                                  }
                                });
                            m = memberId;
                            g = generation;
                          }
                          return still.isEmpty()
                              ? CompletableFuture.completedFuture(Done.getInstance())
                              : streamLog.commitOffsets(groupId, m, g, still).toCompletableFuture();
                        });
              }
              return CompletableFuture.failedFuture(cause(failure));
            });
  }

  @Override
  public synchronized List<TopicPartition> assignment() {
    return assignment;
  }

  @Override
  public synchronized String memberId() {
    return memberId;
  }

  @Override
  public synchronized int generation() {
    return generation;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (attached) {
      closed = true;
      return;
    }
    heartbeats.cancel();
    try {
      if (settings.enableAutoCommit()) {
        commitSync().toCompletableFuture().get(askMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (Exception e) {
      log.debug("final commit of {} failed: {}", groupId, e.toString());
    }
    String member;
    synchronized (this) {
      closed = true;
      member = memberId;
    }
    if (!member.isEmpty()) {
      try {
        streamLog
            .leaveGroup(groupId, member)
            .toCompletableFuture()
            .get(askMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        log.debug("leave of {} failed: {}", groupId, e.toString());
      }
    }
  }

  private long askMillis() {
    return streamLog.settings().askTimeout().toMillis();
  }

  private static Throwable cause(Throwable t) {
    Throwable c = t;
    while (c instanceof CompletionException && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }
}
