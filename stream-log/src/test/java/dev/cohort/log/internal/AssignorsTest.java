package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.log.ConsumerSettings.Assignor;
import dev.cohort.log.TopicPartition;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AssignorsTest {

  private static List<Assignors.Subscriber> members(int n) {
    List<Assignors.Subscriber> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      members.add(new Assignors.Subscriber("m" + i, List.of("orders"), List.of()));
    }
    return members;
  }

  /** Invariant DisjointAndCovering: every partition has exactly one member. */
  private static void assertDisjointAndCovering(
      Map<String, List<TopicPartition>> assignment, int partitions) {
    Set<TopicPartition> seen = new HashSet<>();
    assignment
        .values()
        .forEach(list -> list.forEach(tp -> assertTrue(seen.add(tp), "twice: " + tp)));
    assertEquals(partitions, seen.size());
  }

  @ParameterizedTest
  @EnumSource(Assignor.class)
  void threeMembersOnFourPartitionsAreDisjointCoveringAndBalanced(Assignor assignor) {
    var assignment = Assignors.assign(assignor, members(3), Map.of("orders", 4));
    assertDisjointAndCovering(assignment, 4);
    assignment.values().forEach(list -> assertTrue(list.size() == 1 || list.size() == 2));
  }

  @ParameterizedTest
  @EnumSource(Assignor.class)
  void fifthMemberOnFourPartitionsIsIdle(Assignor assignor) {
    var assignment = Assignors.assign(assignor, members(5), Map.of("orders", 4));
    assertDisjointAndCovering(assignment, 4);
    assertEquals(1, assignment.values().stream().filter(List::isEmpty).count());
    assertEquals(5, assignment.size());
  }

  @Test
  void rangeGivesConsecutivePartitionsLikeKafka() {
    var assignment = Assignors.assign(Assignor.RANGE, members(3), Map.of("orders", 7));
    assertEquals(List.of(tp(0), tp(1), tp(2)), assignment.get("m0"));
    assertEquals(List.of(tp(3), tp(4)), assignment.get("m1"));
    assertEquals(List.of(tp(5), tp(6)), assignment.get("m2"));
  }

  @Test
  void roundRobinDealsInTurn() {
    var assignment = Assignors.assign(Assignor.ROUND_ROBIN, members(3), Map.of("orders", 7));
    assertEquals(List.of(tp(0), tp(3), tp(6)), assignment.get("m0"));
    assertEquals(List.of(tp(1), tp(4)), assignment.get("m1"));
  }

  @Test
  void cooperativeStickyMovesOnlyWhatMustMove() {
    var before = Assignors.assign(Assignor.COOPERATIVE_STICKY, members(2), Map.of("orders", 6));
    List<Assignors.Subscriber> three = new ArrayList<>();
    before.forEach((id, list) -> three.add(new Assignors.Subscriber(id, List.of("orders"), list)));
    three.add(new Assignors.Subscriber("m9", List.of("orders"), List.of()));
    var after = Assignors.assign(Assignor.COOPERATIVE_STICKY, three, Map.of("orders", 6));
    assertDisjointAndCovering(after, 6);
    int moved = 0;
    for (var e : before.entrySet()) {
      for (TopicPartition tp : e.getValue()) {
        if (!after.get(e.getKey()).contains(tp)) {
          moved++;
        }
      }
    }
    assertEquals(2, moved, "a third member of six partitions takes exactly two");
    assertEquals(2, after.get("m9").size());
    // A member leaving: the survivors keep everything they had.
    List<Assignors.Subscriber> two = new ArrayList<>();
    after.forEach(
        (id, list) -> {
          if (!id.equals("m0")) {
            two.add(new Assignors.Subscriber(id, List.of("orders"), list));
          }
        });
    var afterLeave = Assignors.assign(Assignor.COOPERATIVE_STICKY, two, Map.of("orders", 6));
    for (Assignors.Subscriber s : two) {
      assertTrue(afterLeave.get(s.memberId()).containsAll(s.previous()));
    }
  }

  @Test
  void membersOnlyGetTopicsTheySubscribeTo() {
    List<Assignors.Subscriber> members =
        List.of(
            new Assignors.Subscriber("a", List.of("x"), List.of()),
            new Assignors.Subscriber("b", List.of("x", "y"), List.of()));
    for (Assignor assignor : Assignor.values()) {
      var assignment = Assignors.assign(assignor, members, Map.of("x", 2, "y", 3));
      assertTrue(
          assignment.get("a").stream().allMatch(tp -> tp.topic().equals("x")), assignor.name());
      assertEquals(5, assignment.get("a").size() + assignment.get("b").size(), assignor.name());
    }
  }

  private static TopicPartition tp(int p) {
    return new TopicPartition("orders", p);
  }
}
