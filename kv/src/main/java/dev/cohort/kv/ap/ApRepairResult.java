package dev.cohort.kv.ap;

/**
 * What one anti-entropy repair of an AP keyspace did on the node that ran it.
 *
 * @param ranges token ranges this node replicates, each compared with its other live replicas
 * @param rangesDiffering range and replica pairs whose hash trees differed
 * @param leavesDiffering hash tree leaves that differed (each exchanged both ways)
 * @param entriesReceived entries fetched from other replicas that changed this node's store
 * @param entriesSent entries sent to other replicas
 * @param replicasSkipped range and replica pairs skipped because the replica was not alive or did
 *     not answer
 */
public record ApRepairResult(
    int ranges,
    int rangesDiffering,
    int leavesDiffering,
    long entriesReceived,
    long entriesSent,
    int replicasSkipped) {}
