package dev.cohort.platform.internal.cli;

import java.util.List;
import java.util.Map;

/**
 * Sends a batch of records to a topic with {@code acks=all} (each a JSON record as {@code POST
 * /v1/topics/{topic}/records} takes it) and empties the batch, for the subcommands that write
 * records in batches ({@code produce}, {@code dataset synth}).
 */
final class RecordBatches {
  private RecordBatches() {}

  /** Sends {@code batch} (nothing when empty), clears it, and returns how many records it held. */
  static int send(ClientCommand client, String topic, List<Map<String, Object>> batch) {
    if (batch.isEmpty()) {
      return 0;
    }
    client.post(
        "/v1/topics/" + ClientCommand.encode(topic) + "/records",
        Map.of("acks", "all", "records", batch));
    int sent = batch.size();
    batch.clear();
    return sent;
  }
}
