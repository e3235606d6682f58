package dev.cohort.saga;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.kv.KvService;
import dev.cohort.log.StreamLogService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.Leave;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes (ActorSystems) in one JVM on one H2 journal: sagas started on the first node run as
 * entities spread over all three and complete; then the third node leaves while sagas it hosts are
 * in the middle of a step, and those sagas finish on the remaining nodes.
 */
@Tag("integration")
class SagaClusterTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir Path data;

  /** Instance id → the nodes its java steps ran on. */
  private final Map<String, Set<String>> ranOn = new ConcurrentHashMap<>();

  /** Step "work" waits for this while {@link #held} is set. */
  private volatile CompletableFuture<Map<String, Object>> gate =
      CompletableFuture.completedFuture(Map.of());

  private final Set<String> held = ConcurrentHashMap.newKeySet();

  private Sagas node(ActorTestKit kit) {
    Sagas sagas =
        SagaService.start(
            kit.system(), KvService.start(kit.system()), StreamLogService.start(kit.system()));
    String address = Cluster.get(kit.system()).selfMember().address().toString();
    SagaFunction record =
        ctx -> {
          ranOn.computeIfAbsent(ctx.sagaId(), id -> ConcurrentHashMap.newKeySet()).add(address);
          return CompletableFuture.completedFuture(Map.of());
        };
    sagas.registerFunction("begin", record);
    sagas.registerFunction("finish", record);
    sagas.registerFunction("undo", record);
    sagas.registerFunction(
        "work",
        ctx -> {
          ranOn.computeIfAbsent(ctx.sagaId(), id -> ConcurrentHashMap.newKeySet()).add(address);
          held.add(ctx.sagaId());
          return gate;
        });
    return sagas;
  }

  @Test
  void sagasRunAcrossThreeNodesAndSurviveALeave() {
    Config config =
        ConfigFactory.parseString(
                """
        cohort.saga.ask-timeout = 15s
        cohort.kv.ask-timeout = 15s
        cohort.log.ask-timeout = 15s
        pekko.cluster.sharding.passivation.strategy = none
        """)
            .withFallback(H2Nodes.config(data));
    List<ActorTestKit> kits = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        kits.add(ActorTestKit.create("SagaCluster", config));
      }
      var seed = Cluster.get(kits.get(0).system()).selfMember().address();
      kits.forEach(k -> Cluster.get(k.system()).manager().tell(Join.create(seed)));
      await(
          DEADLINE,
          () ->
              kits.stream()
                  .allMatch(
                      k -> {
                        Cluster c = Cluster.get(k.system());
                        return c.selfMember().status() == MemberStatus.up()
                            && c.state().getMembers().spliterator().estimateSize() == 3;
                      }));
      List<Sagas> nodes = kits.stream().map(this::node).toList();
      Sagas first = nodes.get(0);
      join(
          first.define(
              SagaDefinition.builder("spread")
                  .step("begin", StepAction.java("begin"), StepAction.java("undo"))
                  .step("work", StepAction.java("work"), StepAction.java("undo"))
                  .step("finish", StepAction.java("finish"), StepAction.java("undo"))
                  .build()));

      for (int i = 0; i < 30; i++) {
        join(first.start("spread", "a-" + i, Map.of()));
      }
      for (int i = 0; i < 30; i++) {
        await(DEADLINE, completed(first, "a-" + i));
      }
      Set<String> hosts = new HashSet<>();
      for (int i = 0; i < 30; i++) {
        Set<String> nodesOfOne = ranOn.get("a-" + i);
        assertEquals(1, nodesOfOne.size(), "one instance runs on one node: " + nodesOfOne);
        hosts.addAll(nodesOfOne);
      }
      assertEquals(3, hosts.size(), "instances on every node: " + hosts);

      // the third node leaves while every new saga waits in its second step
      String leaving = Cluster.get(kits.get(2).system()).selfMember().address().toString();
      gate = new CompletableFuture<>();
      for (int i = 0; i < 30; i++) {
        join(first.start("spread", "b-" + i, Map.of()));
      }
      await(DEADLINE, () -> held.stream().filter(id -> id.startsWith("b-")).count() == 30);
      List<String> affected = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        if (ranOn.get("b-" + i).contains(leaving)) {
          affected.add("b-" + i);
        }
      }
      assertTrue(!affected.isEmpty(), "some sagas must be hosted on the leaving node");
      Cluster.get(kits.get(2).system())
          .manager()
          .tell(Leave.create(Cluster.get(kits.get(2).system()).selfMember().address()));
      await(
          DEADLINE,
          () ->
              Cluster.get(kits.get(0).system()).state().getMembers().spliterator().estimateSize()
                  == 2);
      kits.remove(2).shutdownTestKit();
      gate.complete(Map.of());

      for (int i = 0; i < 30; i++) {
        await(DEADLINE, completed(first, "b-" + i));
      }
      for (String id : affected) {
        SagaInstance instance = join(first.get(id));
        assertEquals(SagaState.COMPLETED, instance.state());
        assertTrue(
            ranOn.get(id).size() >= 2,
            id + " moved off the leaving node to finish: " + ranOn.get(id));
      }
    } finally {
      kits.forEach(ActorTestKit::shutdownTestKit);
    }
  }

  private static java.util.function.BooleanSupplier completed(Sagas sagas, String id) {
    return () -> join(sagas.get(id)).state() == SagaState.COMPLETED;
  }
}
