package dev.cohort.bench.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Producers and consumer-group members on the topic {@code chaos_log} (4 partitions).
 *
 * <p>Producer {@code c} owns partition {@code c mod 4} and sends batches of {@link #BATCH} records
 * {@code p<c>-<n>} ({@code n} counting up); a batch that is not acknowledged is sent again — the
 * same batch, with the same base sequence under the idempotent protocol — until it is acknowledged
 * or the run stops. Only then comes the next batch, so acknowledged records must be in the log
 * exactly once (idempotent) or at least once (plain), in send order per producer.
 *
 * <p>{@link #CONSUMERS} members join group {@code chaos_g}, poll through one home gateway (the
 * gateway keeps an HTTP member's fetch positions) and commit after every poll; a member whose poll
 * failed leaves and joins again (see {@code Consumer#step}); see {@link GroupCommitChecker}. They
 * are extra threads beside the {@code clients} producers.
 */
public final class StreamLogWorkload implements ChaosWorkload {
  static final String TOPIC = "chaos_log";
  static final String GROUP = "chaos_g";
  static final int PARTITIONS = 4;
  static final int BATCH = 3;
  static final int CONSUMERS = 2;

  /** Consumers record ops with client ids from here on. */
  static final int CONSUMER_CLIENT_BASE = 1000;

  /**
   * Which produce shape to use. AUTO tries the idempotent one and falls back when the gateway lacks
   * it.
   */
  public enum Mode {
    PLAIN,
    IDEMPOTENT,
    AUTO
  }

  private final Mode mode;
  private final History history = new History();
  private volatile ProduceProtocol protocol = new ProduceProtocol.Plain();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong epochBumps = new AtomicLong();
  private final AtomicLong rejoins = new AtomicLong();

  /** The topic and group of this run: {@link #TOPIC} and {@link #GROUP} plus the run's suffix. */
  private final String topic;

  private final String group;

  public StreamLogWorkload() {
    this(Mode.AUTO);
  }

  public StreamLogWorkload(Mode mode) {
    this(mode, "");
  }

  /**
   * Names its topic {@code chaos_log<suffix>} and group {@code chaos_g<suffix>}: each run starts
   * empty.
   */
  public StreamLogWorkload(Mode mode, String suffix) {
    this.mode = mode;
    this.topic = TOPIC + suffix;
    this.group = GROUP + suffix;
  }

  @Override
  public String name() {
    return "stream-log";
  }

  @Override
  public void setUp(Gateways g) throws Exception {
    ObjectNode create = ChaosHttp.object().put("name", topic).put("partitions", PARTITIONS);
    SetUp.until(
        "create topic " + topic,
        SetUp.DEADLINE,
        () -> ChaosHttp.post(g, ChaosHttp.any(g), "/v1/topics", create),
        SetUp.okOr("topic_already_exists"));
    if (mode != Mode.PLAIN) {
      ProduceProtocol idempotent = new ProduceProtocol.Idempotent();
      Reply probe =
          SetUp.until(
              "init producer",
              SetUp.DEADLINE,
              () -> idempotent.init(g, ChaosHttp.any(g)),
              r -> r.ok() || r.status() == 404 || r.status() == 405);
      if (probe.ok()) {
        protocol = idempotent;
      } else if (mode == Mode.IDEMPOTENT) {
        throw new IllegalStateException(
            "the gateway has no idempotent produce ("
                + ProduceProtocol.Idempotent.INIT_PATH
                + " answered "
                + probe.describe()
                + ")");
      }
    }
  }

  @Override
  public void run(Gateways g, BooleanSupplier stop, int clients) throws Exception {
    Map<Integer, Producer> producers = new HashMap<>();
    Map<Integer, Consumer> consumers = new HashMap<>();
    for (int c = 0; c < clients; c++) {
      producers.put(c, new Producer(c));
    }
    for (int c = 0; c < CONSUMERS; c++) {
      consumers.put(clients + c, new Consumer(CONSUMER_CLIENT_BASE + c));
    }
    Duration grace = g.requestTimeout().multipliedBy(3).plusSeconds(5);
    Clients.run(
        name(),
        clients + CONSUMERS,
        stop,
        grace,
        client -> {
          Producer p = producers.get(client);
          if (p != null) {
            p.sendNextBatch(g, stop);
          } else {
            consumers.get(client).step(g);
          }
        });
    for (Consumer c : consumers.values()) {
      c.leave(g);
    }
  }

  /** One producer thread's state. */
  private final class Producer {
    private final int client;
    private final int partition;
    private long nextValue;
    private long nextSequence;
    private ProduceProtocol.Identity identity;

    Producer(int client) {
      this.client = client;
      this.partition = client % PARTITIONS;
    }

    void sendNextBatch(Gateways g, BooleanSupplier stop) throws InterruptedException {
      ProduceProtocol proto = protocol;
      List<String> values = new ArrayList<>();
      for (int i = 0; i < BATCH; i++) {
        values.add("p" + client + "-" + nextValue++);
      }
      ProduceProtocol.Batch batch = new ProduceProtocol.Batch(partition, nextSequence, values);
      long invoke = System.nanoTime();
      boolean anyIndeterminate = false;
      boolean resentInNewEpoch = false;
      Reply last = null;
      long backoff = 50;
      for (int attempt = 0; ; attempt++) {
        if (attempt > 0) {
          if (stop.getAsBoolean()) {
            break; // the batch stays as it is: indeterminate, or failed when every answer said so
          }
          retries.incrementAndGet();
          Clients.pause(backoff);
          backoff = Math.min(1_000, backoff * 2);
        }
        URI node = ChaosHttp.any(g);
        if (identity == null) {
          Reply init = proto.init(g, node);
          if (!init.ok()) {
            continue;
          }
          boolean renewed = proto.idempotent() && (attempt > 0 || nextSequence != 0);
          identity = proto.identity(init);
          if (renewed) {
            // Fenced or forgotten: a new epoch restarts the sequence, and a batch that may already
            // be in the log is written again under it and may appear twice, as with Kafka's
            // idempotent producer.
            epochBumps.incrementAndGet();
            resentInNewEpoch |= anyIndeterminate;
            nextSequence = 0;
            batch = new ProduceProtocol.Batch(partition, 0, values);
          }
        }
        last = ChaosHttp.post(g, node, ProduceProtocol.path(topic), proto.body(batch, identity));
        if (last.ok()) {
          nextSequence += BATCH;
          history.record(
              client,
              "partition-" + partition,
              "send",
              String.join(",", values),
              resentInNewEpoch ? "resent-in-new-epoch" : "seq=" + batch.baseSequence(),
              null,
              invoke,
              Outcome.OK);
          return;
        }
        if (proto.fenced(last)) {
          identity = null;
        }
        anyIndeterminate |= ChaosHttp.writeOutcome(last, Set.of()) == Outcome.INDETERMINATE;
      }
      // Stopped before an acknowledgement. The next batch (if the runner calls again) keeps the
      // sequence moving past this one, so that it cannot be mistaken for a retry.
      nextSequence += BATCH;
      history.record(
          client,
          "partition-" + partition,
          "send",
          String.join(",", values),
          resentInNewEpoch ? "resent-in-new-epoch" : "seq=" + batch.baseSequence(),
          last == null ? "not sent" : last.describe(),
          invoke,
          anyIndeterminate || last == null ? Outcome.INDETERMINATE : Outcome.FAIL);
    }
  }

  /** One group member thread's state. */
  private final class Consumer {
    private final int client;
    private URI home;
    private String member;
    private int silentPolls;

    Consumer(int client) {
      this.client = client;
    }

    void step(Gateways g) throws InterruptedException {
      if (home == null || silentPolls >= 5) {
        home = ChaosHttp.any(g);
        silentPolls = 0;
      }
      if (member == null) {
        ObjectNode join =
            ChaosHttp.object().put("autoOffsetReset", "earliest").put("sessionTimeoutMs", 10_000);
        join.putArray("topics").add(topic);
        Reply r = ChaosHttp.post(g, home, "/v1/groups/" + group + "/members", join);
        if (!r.ok()) {
          silentPolls += r.answered() ? 0 : 1;
          Clients.pause(200);
          return;
        }
        member = r.body().path("memberId").asText();
        rejoins.incrementAndGet();
      }
      long invoke = System.nanoTime();
      Reply poll =
          ChaosHttp.send(
              g,
              home,
              "GET",
              "/v1/groups/"
                  + group
                  + "/members/"
                  + ChaosHttp.query(member)
                  + "/records?maxRecords=200&maxWaitMs=500",
              null,
              g.requestTimeout().plusMillis(500));
      if (!poll.ok()) {
        // The gateway advances an HTTP member's positions when it serves a fetch: a poll whose
        // answer was lost may have moved them past records this member never saw, and its next
        // commit would skip them. A Kafka client would fetch the same offset again; over HTTP
        // the way back to the committed offsets is a new membership.
        if (poll.status() != 404) {
          leave(g);
        }
        member = null;
        silentPolls += poll.answered() ? 0 : 1;
        Clients.pause(100);
        return;
      }
      silentPolls = 0;
      int generation = poll.body().path("generation").asInt();
      Map<Integer, List<Long>> byPartition = new TreeMap<>();
      for (JsonNode record : poll.body().path("records")) {
        byPartition
            .computeIfAbsent(record.path("partition").asInt(), p -> new ArrayList<>())
            .add(record.path("offset").asLong());
      }
      if (byPartition.isEmpty()) {
        return;
      }
      byPartition.forEach(
          (p, offsets) ->
              history.record(
                  client,
                  "partition-" + p,
                  "poll",
                  String.join(",", offsets.stream().map(String::valueOf).toList()),
                  member,
                  null,
                  invoke,
                  Outcome.OK));
      ObjectNode commit = ChaosHttp.object().put("memberId", member).put("generation", generation);
      ArrayNode offsets = commit.putArray("offsets");
      byPartition.forEach(
          (p, list) ->
              offsets
                  .addObject()
                  .put("topic", topic)
                  .put("partition", p)
                  .put("offset", list.get(list.size() - 1) + 1));
      long commitInvoke = System.nanoTime();
      Reply r = ChaosHttp.post(g, home, "/v1/groups/" + group + "/offsets", commit);
      Outcome outcome = ChaosHttp.writeOutcome(r, Set.of());
      byPartition.forEach(
          (p, list) ->
              history.record(
                  client,
                  "partition-" + p,
                  "commit",
                  Long.toString(list.get(list.size() - 1) + 1),
                  member,
                  r.ok() ? null : r.describe(),
                  commitInvoke,
                  outcome));
      if (r.status() == 404) {
        member = null;
      }
    }

    void leave(Gateways g) {
      if (member != null) {
        ChaosHttp.delete(g, home, "/v1/groups/" + group + "/members/" + ChaosHttp.query(member));
      }
    }
  }

  @Override
  public CheckResult check(Gateways g) throws Exception {
    Map<Integer, List<String>> log = new TreeMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      log.put(p, readPartition(g, p));
    }
    Map<Integer, Long> committed = committedOffsets(g);
    return verdict(
        history.snapshot(),
        log,
        committed,
        protocol.idempotent(),
        Map.of("retries", retries.get(), "epoch_bumps", epochBumps.get(), "joins", rejoins.get()));
  }

  /**
   * The checkers over a history, the log read back and the group's final offsets (also for tests).
   */
  static CheckResult verdict(
      List<Op> ops,
      Map<Integer, List<String>> log,
      Map<Integer, Long> committed,
      boolean idempotent,
      Map<String, Long> extra) {
    List<String> violations = new ArrayList<>();
    StreamLogChecker.Counts counts = StreamLogChecker.check(ops, log, violations);
    Map<String, String> figures = StreamLogChecker.newFigures();
    boolean valid = StreamLogChecker.figures(counts, idempotent, figures, violations);
    GroupCommitChecker.Counts group = GroupCommitChecker.check(ops, committed, violations);
    figures.put("commits_backwards", Long.toString(group.commitsBackwards()));
    figures.put("skipped", Long.toString(group.skipped()));
    extra.forEach((k, v) -> figures.put(k, Long.toString(v)));
    valid &= group.commitsBackwards() == 0 && group.skipped() == 0;
    return CheckResult.of(
        "stream-log", ops, valid, figures, UniquePutWorkload.truncate(violations));
  }

  private List<String> readPartition(Gateways g, int partition) throws InterruptedException {
    List<String> values = new ArrayList<>();
    long offset = 0;
    long highWatermark = Long.MAX_VALUE;
    while (offset < highWatermark) {
      String path =
          "/v1/topics/"
              + topic
              + "/partitions/"
              + partition
              + "/records?offset="
              + offset
              + "&maxRecords=1000&maxWaitMs=0";
      Reply r =
          SetUp.until(
              "read " + topic + "/" + partition + " at " + offset,
              SetUp.DEADLINE,
              () -> ChaosHttp.get(g, ChaosHttp.any(g), path),
              Reply::ok);
      if (highWatermark == Long.MAX_VALUE) {
        highWatermark = r.body().path("highWatermark").asLong();
      }
      long next = r.body().path("nextOffset").asLong(offset);
      for (JsonNode record : r.body().path("records")) {
        values.add(record.path("value").asText(null));
        next = Math.max(next, record.path("offset").asLong() + 1);
      }
      if (next <= offset) {
        break; // no progress: nothing more to read
      }
      offset = next;
    }
    return values;
  }

  private Map<Integer, Long> committedOffsets(Gateways g) throws InterruptedException {
    Reply r =
        SetUp.until(
            "describe group " + group,
            SetUp.DEADLINE,
            () -> ChaosHttp.get(g, ChaosHttp.any(g), "/v1/groups/" + group),
            x -> x.ok() || x.status() == 404);
    Map<Integer, Long> committed = new TreeMap<>();
    for (JsonNode o : r.body().path("offsets")) {
      if (topic.equals(o.path("topic").asText())) {
        committed.put(o.path("partition").asInt(), o.path("committedOffset").asLong());
      }
    }
    return committed;
  }

  @Override
  public List<Op> history() {
    return history.snapshot();
  }
}
