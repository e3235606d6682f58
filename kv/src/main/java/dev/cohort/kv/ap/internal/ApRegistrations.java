package dev.cohort.kv.ap.internal;

import dev.cohort.persistence.KryoRegistrations;
import java.util.List;
import java.util.TreeMap;

/**
 * The serializable classes of AP keyspaces, ids 1700–1799 (inside kv's 1000–1999). Ids are part of
 * the wire format (gossip between nodes) and of the durable store's files: never reuse or
 * renumber one.
 */
public final class ApRegistrations implements KryoRegistrations {
  @Override
  public void register(Registry r) {
    r.add(1700, ApEntry.class);
    r.add(1701, ApBucket.class);
  }

  @Override
  public List<Object> samples() {
    TreeMap<String, ApEntry> entries = new TreeMap<>();
    entries.put("a", new ApEntry(new byte[] {1, 2}, HybridLogicalClock.pack(1_700_000_000_000L, 3),
        "pekko://cohort@127.0.0.1:2552", 0, 0));
    entries.put("b", new ApEntry(null, HybridLogicalClock.pack(1_700_000_000_001L, 0),
        "pekko://cohort@127.0.0.1:2553", 0, 1_700_086_400_001L));
    return List.of(new ApBucket(entries, null));
  }
}
