package dev.cohort.log.internal;

import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.OffsetAndMetadata;
import dev.cohort.log.TopicConfig;
import dev.cohort.log.TopicPartition;
import dev.cohort.persistence.KryoRegistrations;

/**
 * The stream-log module's serializable types with their fixed Kryo ids, 2000–2999. Ids are part of
 * the journal format: never reuse or renumber one; add new types with new ids.
 *
 * <pre>
 *   2000–2019 public API records and enums      2100–2149 partition entity
 *   2020–2049 batches                           2190–2199 partition entity (private)
 *   2050–2099 topic registry                    2200–2249 group coordinator
 *                                               2290–2299 group coordinator (private)
 * </pre>
 */
public final class LogRegistrations implements KryoRegistrations {
  @Override
  public void register(Registry r) {
    r.add(2000, TopicPartition.class);
    r.add(2001, OffsetAndMetadata.class);
    r.add(2002, TopicConfig.class);
    r.add(2003, TopicConfig.CleanupPolicy.class);
    r.add(2004, TopicConfig.CompressionType.class);
    r.add(2005, TopicConfig.TimestampType.class);
    r.add(2006, ConsumerSettings.Assignor.class);

    r.add(2020, StoredBatch.class);
    // 2021 was RecordBatches.Encoded (Cohort's batch format on the wire, never journaled): retired.
    r.add(2022, KafkaBatch.class);
    r.add(2023, KafkaBatches.Encoded.class);

    r.add(2050, TopicRegistry.CreateTopic.class);
    r.add(2051, TopicRegistry.DescribeTopic.class);
    r.add(2052, TopicRegistry.ListTopics.class);
    r.add(2053, TopicRegistry.AlterConfigs.class);
    r.add(2054, TopicRegistry.AddPartitions.class);
    r.add(2055, TopicRegistry.DeleteTopic.class);
    r.add(2056, TopicRegistry.GetPartitionCounts.class);
    r.add(2057, TopicRegistry.RegisterGroup.class);
    r.add(2058, TopicRegistry.ListGroups.class);
    r.add(2059, TopicRegistry.UnregisterGroup.class);
    r.add(2065, TopicRegistry.TopicMetadata.class);
    r.add(2066, TopicRegistry.Names.class);
    r.add(2067, TopicRegistry.PartitionCounts.class);
    r.add(2068, TopicRegistry.Rejected.class);
    r.add(2075, TopicRegistry.TopicCreated.class);
    r.add(2076, TopicRegistry.TopicConfigAltered.class);
    r.add(2077, TopicRegistry.PartitionsAdded.class);
    r.add(2078, TopicRegistry.TopicDeleted.class);
    r.add(2079, TopicRegistry.GroupRegistered.class);
    r.add(2080, TopicRegistry.GroupUnregistered.class);
    r.add(2085, TopicRegistry.State.class);

    r.add(2100, PartitionEntity.Configure.class);
    r.add(2101, PartitionEntity.Produce.class);
    r.add(2102, PartitionEntity.Fetch.class);
    r.add(2103, PartitionEntity.GetStatus.class);
    r.add(2104, PartitionEntity.DeletePartition.class);
    r.add(2105, PartitionEntity.CheckRetention.class);
    r.add(2106, PartitionEntity.ProduceBatches.class);
    r.add(2115, PartitionEntity.Appended.class);
    r.add(2116, PartitionEntity.Fetched.class);
    r.add(2117, PartitionEntity.Status.class);
    r.add(2118, PartitionEntity.Rejected.class);
    r.add(2119, PartitionEntity.AppendedBatches.class);
    r.add(2125, PartitionEntity.PartitionConfigured.class);
    r.add(2126, PartitionEntity.BatchAppended.class);
    r.add(2127, PartitionEntity.LogTruncated.class);
    r.add(2128, PartitionEntity.LogCompacted.class);
    r.add(2129, PartitionEntity.PartitionDeleted.class);
    r.add(2130, PartitionEntity.ProducersExpired.class);
    r.add(2131, PartitionEntity.BatchAppendedV2.class);
    r.add(2132, PartitionEntity.LogCompactedV2.class);
    r.add(2135, PartitionEntity.Snapshot.class);
    r.add(2136, PartitionEntity.ProducerEntry.class);
    r.add(2137, PartitionEntity.ProducerBatch.class);
    r.add(2138, PartitionEntity.SnapshotV2.class);
    PartitionEntity.registerPrivate(r);

    r.add(2200, GroupCoordinator.Join.class);
    r.add(2201, GroupCoordinator.Heartbeat.class);
    r.add(2202, GroupCoordinator.Leave.class);
    r.add(2203, GroupCoordinator.Commit.class);
    r.add(2204, GroupCoordinator.GetOffsets.class);
    r.add(2205, GroupCoordinator.Describe.class);
    r.add(2206, GroupCoordinator.DeleteOffsets.class);
    r.add(2215, GroupCoordinator.Assignment.class);
    r.add(2216, GroupCoordinator.Ack.class);
    r.add(2217, GroupCoordinator.Offsets.class);
    r.add(2218, GroupCoordinator.Description.class);
    r.add(2219, GroupCoordinator.Rejected.class);
    r.add(2225, GroupCoordinator.GroupRebalanced.class);
    r.add(2226, GroupCoordinator.AssignmentDelivered.class);
    r.add(2227, GroupCoordinator.OffsetsCommitted.class);
    r.add(2228, GroupCoordinator.OffsetsDeleted.class);
    r.add(2235, GroupCoordinator.State.class);
    r.add(2236, GroupCoordinator.Member.class);
    GroupCoordinator.registerPrivate(r);
  }
}
