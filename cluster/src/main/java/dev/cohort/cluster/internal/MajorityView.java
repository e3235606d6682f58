package dev.cohort.cluster.internal;

import java.util.Set;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;

/**
 * How many of the cluster's voting members one node sees reachable, counted as the split-brain
 * resolver's keep-majority counts them: members that are Up or Leaving. A member known to be gone
 * counts as unreachable even before the failure detector says so.
 *
 * @param members the voting members
 * @param reachable those of them this node reaches (itself included)
 */
record MajorityView(int members, int reachable) {

  static MajorityView of(Set<Member> all, Set<UniqueAddress> unreachable, UniqueAddress knownGone) {
    int members = 0;
    int reachable = 0;
    for (Member m : all) {
      if (m.status() != MemberStatus.up() && m.status() != MemberStatus.leaving()) {
        continue;
      }
      members++;
      if (!unreachable.contains(m.uniqueAddress()) && !m.uniqueAddress().equals(knownGone)) {
        reachable++;
      }
    }
    return new MajorityView(members, reachable);
  }

  /** A strict majority: of two halves, neither acts. */
  boolean hasMajority() {
    return 2 * reachable > members;
  }
}
