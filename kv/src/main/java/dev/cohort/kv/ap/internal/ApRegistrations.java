package dev.cohort.kv.ap.internal;

import dev.cohort.persistence.KryoRegistrations;
import java.util.List;
import java.util.TreeMap;

/**
 * The serializable classes of AP keyspaces, ids 1700–1799 (inside kv's 1000–1999). Ids are part of
 * the wire format between nodes (1702–1717: the replica protocol) and of the Distributed Data
 * version's files that {@link ApLegacyImport} reads (1700–1701): never reuse or renumber one.
 */
public final class ApRegistrations implements KryoRegistrations {
  @Override
  public void register(Registry r) {
    r.add(1700, ApEntry.class);
    r.add(1701, ApBucket.class);
    r.add(1702, ApReplica.Write.class);
    r.add(1703, ApReplica.WriteAck.class);
    r.add(1704, ApReplica.WriteMany.class);
    r.add(1705, ApReplica.WriteManyAck.class);
    r.add(1706, ApReplica.KeyEntry.class);
    r.add(1707, ApReplica.Read.class);
    r.add(1708, ApReplica.ReadReply.class);
    r.add(1709, ApReplica.Scan.class);
    r.add(1710, ApReplica.ScanReply.class);
    r.add(1711, ApReplica.Tree.class);
    r.add(1712, ApReplica.TreeReply.class);
    r.add(1713, ApReplica.Fetch.class);
    r.add(1714, ApReplica.Drop.class);
    r.add(1715, ApReplica.Dropped.class);
    r.add(1716, ApReplica.CatalogPut.class);
    r.add(1717, ApReplica.CatalogStored.class);
  }

  @Override
  public List<Object> samples() {
    TreeMap<String, ApEntry> entries = new TreeMap<>();
    entries.put(
        "a",
        new ApEntry(
            new byte[] {1, 2},
            HybridLogicalClock.pack(1_700_000_000_000L, 3),
            "pekko://cohort@127.0.0.1:2552",
            0,
            0));
    entries.put(
        "b",
        new ApEntry(
            null,
            HybridLogicalClock.pack(1_700_000_000_001L, 0),
            "pekko://cohort@127.0.0.1:2553",
            0,
            1_700_086_400_001L));
    return List.of(new ApBucket(entries, null));
  }
}
