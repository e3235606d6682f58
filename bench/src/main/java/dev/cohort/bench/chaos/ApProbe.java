package dev.cohort.bench.chaos;

import java.net.URI;
import java.util.UUID;

/**
 * One write and one read of a fresh key of the AP keyspace through one node at one consistency
 * level, for the runner to assert during a network partition: on a 2/1 split, {@code quorum}
 * succeeds on the majority side and answers 503 {@code consistency_unavailable} on the minority
 * side, and {@code one} succeeds on both.
 */
public final class ApProbe {
  /**
   * @param writeStatus the put's HTTP status (0: no answer)
   * @param writeCode the put's error code, null when it succeeded
   * @param readStatus the read's HTTP status; a read of a key the put did not reach at that level
   *     may be 404 {@code key_not_found} or 503
   * @param readCode the read's error code, null when it succeeded
   */
  public record Result(
      String consistency, int writeStatus, String writeCode, int readStatus, String readCode) {
    public boolean writeOk() {
      return writeStatus >= 200 && writeStatus < 300;
    }

    public boolean readOk() {
      return readStatus >= 200 && readStatus < 300;
    }

    /**
     * Both refused with 503 {@code consistency_unavailable}: the level was not reached, never
     * downgraded.
     */
    public boolean consistencyUnavailable() {
      return writeStatus == 503 && "consistency_unavailable".equals(writeCode);
    }
  }

  private ApProbe() {}

  public static Result probe(Gateways g, URI node, String consistency) {
    String key = "probe/" + UUID.randomUUID();
    String query = "?consistency=" + consistency;
    Reply put =
        ChaosHttp.put(
            g,
            node,
            KvCalls.keyPath(ApWorkload.KEYSPACE, key) + query,
            ChaosHttp.object().put("value", "probe"));
    Reply get = ChaosHttp.get(g, node, KvCalls.keyPath(ApWorkload.KEYSPACE, key) + query);
    return new Result(consistency, put.status(), put.code(), get.status(), get.code());
  }
}
