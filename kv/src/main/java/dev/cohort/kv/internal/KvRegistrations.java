package dev.cohort.kv.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.GetResult;
import dev.cohort.kv.Header;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.PutResult;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnOpResult;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.TxnResult;
import dev.cohort.persistence.KryoRegistrations;

/**
 * The kv module's serializable classes, ids 1000–1999. Ids are part of the journal format: never
 * reuse or renumber one; add new classes with new ids. Blocks: 1000 public API, 1100 partition
 * (1160 its cross-partition transaction messages), 1200 keyspace registry, 1300 lessor, 1400 watch,
 * 1500 transaction coordinator; 1700–1799 belong to AP keyspaces ({@code ApRegistrations}).
 */
public final class KvRegistrations implements KryoRegistrations {
  @Override
  public void register(Registry r) {
    // public API records that travel inside commands, replies and events
    r.add(1000, KeyValue.class);
    r.add(1001, Header.class);
    r.add(1002, PutOptions.class);
    r.add(1003, PutResult.class);
    r.add(1004, GetResult.class);
    r.add(1005, Compare.class);
    r.add(1006, Compare.Target.class);
    r.add(1007, Compare.Op.class);
    r.add(1008, TxnOp.Put.class);
    r.add(1009, TxnOp.Get.class);
    r.add(1010, TxnOp.Delete.class);
    r.add(1011, TxnOpResult.Put.class);
    r.add(1012, TxnOpResult.Get.class);
    r.add(1013, TxnOpResult.Delete.class);
    r.add(1014, TxnRequest.class);
    r.add(1015, TxnResult.class);
    r.add(1016, KeyspaceInfo.class);
    r.add(1017, Change.class);
    r.add(1018, Filter.class);
    r.add(1019, TxnOp.Txn.class);
    r.add(1020, TxnOpResult.Txn.class);
    r.add(1021, TxnOp.DeleteRange.class);

    // partition
    r.add(1100, KvPartition.Txn.class);
    r.add(1101, KvPartition.DeleteRange.class);
    r.add(1102, KvPartition.RevokeLease.class);
    r.add(1103, KvPartition.Batch.class);
    r.add(1104, KvPartition.Get.class);
    r.add(1105, KvPartition.Range.class);
    r.add(1106, KvPartition.LeaseKeys.class);
    r.add(1107, KvPartition.Stats.class);
    r.add(1108, KvPartition.Subscribe.class);
    r.add(1109, KvPartition.Unsubscribe.class);
    r.add(1110, KvPartition.AwaitFirst.class);
    r.add(1111, KvPartition.Drop.class);
    r.add(1112, KvPartition.SubscriberGone.class);
    r.add(1113, KvPartition.Passivate.class);
    r.add(1120, KvPartition.TxnReply.class);
    r.add(1121, KvPartition.DeleteReply.class);
    r.add(1122, KvPartition.GetReply.class);
    r.add(1123, KvPartition.RangeReply.class);
    r.add(1124, KvPartition.LeaseKeysReply.class);
    r.add(1125, KvPartition.StatsReply.class);
    r.add(1126, KvPartition.Owner.class);
    r.add(1127, KvPartition.Done.class);
    r.add(1128, KvPartition.Rejected.class);
    r.add(1129, KvPartition.BatchDone.class);
    r.add(1140, KvPartition.Written.class);
    r.add(1141, KvPartition.Dropped.class);
    r.add(1142, KvPartition.PutKv.class);
    r.add(1143, KvPartition.DeleteKey.class);
    r.add(1150, KvPartition.State.class);
    // the lifecycle stages hold a State; snapshots store the State alone (see KvPartition.Stage)
    r.add(1151, KvPartition.Live.class);
    r.add(1152, KvPartition.Gone.class);
    r.add(1160, KvPartition.Prepare.class);
    r.add(1161, KvPartition.Commit.class);
    r.add(1162, KvPartition.Abort.class);
    r.add(1163, KvPartition.DecisionDue.class);
    r.add(1164, KvPartition.LockWaitOver.class);
    r.add(1165, KvPartition.LocksReleased.class);
    r.add(1166, KvPartition.FenceChecked.class);
    r.add(1170, KvPartition.Vote.class);
    r.add(1171, KvPartition.TxnDone.class);
    r.add(1180, KvPartition.TxnPrepared.class);
    r.add(1181, KvPartition.TxnResolved.class);

    // keyspace registry
    r.add(1200, KeyspaceRegistry.Create.class);
    r.add(1201, KeyspaceRegistry.Get.class);
    r.add(1202, KeyspaceRegistry.ListAll.class);
    r.add(1203, KeyspaceRegistry.Delete.class);
    r.add(1220, KeyspaceRegistry.Found.class);
    r.add(1221, KeyspaceRegistry.Listed.class);
    r.add(1222, KeyspaceRegistry.Rejected.class);
    r.add(1240, KeyspaceRegistry.KeyspaceCreated.class);
    r.add(1241, KeyspaceRegistry.KeyspaceDeleted.class);
    r.add(1250, KeyspaceRegistry.State.class);

    // lessor
    r.add(1300, KvLessor.Grant.class);
    r.add(1301, KvLessor.KeepAlive.class);
    r.add(1302, KvLessor.GetLease.class);
    r.add(1303, KvLessor.Attach.class);
    r.add(1304, KvLessor.Revoke.class);
    r.add(1305, KvLessor.Tick.class);
    r.add(1306, KvLessor.PartitionCleared.class);
    r.add(1307, KvLessor.ListLeases.class);
    r.add(1320, KvLessor.LeaseState.class);
    r.add(1321, KvLessor.Rejected.class);
    r.add(1322, KvLessor.LeaseIds.class);
    r.add(1340, KvLessor.LeaseGranted.class);
    r.add(1341, KvLessor.LeaseKeptAlive.class);
    r.add(1342, KvLessor.LeaseAttached.class);
    r.add(1343, KvLessor.LeaseRevoked.class);
    r.add(1344, KvLessor.RevocationFinished.class);
    r.add(1350, KvLessor.Lease.class);
    r.add(1351, KvLessor.State.class);

    // watch
    r.add(1400, KvWatcher.Feed.class);

    // cross-partition transaction coordinator
    r.add(1500, TxnCoordinator.Start.class);
    r.add(1501, TxnCoordinator.Resolve.class);
    r.add(1502, TxnCoordinator.Voted.class);
    r.add(1503, TxnCoordinator.Acknowledged.class);
    r.add(1504, TxnCoordinator.Retry.class);
    r.add(1520, TxnCoordinator.Finished.class);
    r.add(1521, TxnCoordinator.Failed.class);
    r.add(1530, TxnCoordinator.Participant.class);
    r.add(1540, TxnCoordinator.TxnStarted.class);
    r.add(1541, TxnCoordinator.TxnDecided.class);
    r.add(1542, TxnCoordinator.TxnEnded.class);
    r.add(1550, TxnCoordinator.State.class);
    r.add(1551, TxnCoordinator.Phase.class);
  }
}
