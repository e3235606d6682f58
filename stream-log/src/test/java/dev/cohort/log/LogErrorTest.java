package dev.cohort.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Clients match on the stream log's codes and statuses: a released one must not change by accident.
 */
class LogErrorTest {
  private static final List<String> RELEASED =
      List.of(
          "invalid_topic_name 400",
          "invalid_partitions 400",
          "invalid_config 400",
          "invalid_request 400",
          "invalid_record 400",
          "invalid_group_id 400",
          "invalid_session_timeout 400",
          "unknown_topic_or_partition 404",
          "unknown_member_id 404",
          "topic_already_exists 409",
          "illegal_generation 409",
          "inconsistent_group_protocol 409",
          "out_of_order_sequence 409",
          "invalid_producer_epoch 409",
          "unknown_producer_id 409",
          "offset_out_of_range 400",
          "record_too_large 413",
          "producer_closed 400",
          "consumer_closed 400",
          "request_timeout 504",
          "delivery_timeout 504",
          "not_ready 503",
          "non_empty_group 409");

  @Test
  void everyReleasedCodeKeepsItsSpellingAndStatus() {
    assertEquals(
        RELEASED,
        Arrays.stream(LogError.values()).map(e -> e.code() + " " + e.kind().httpStatus()).toList());
  }
}
