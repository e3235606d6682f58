package dev.cohort.kv;

import java.util.List;

/**
 * The answer to a delete.
 *
 * @param deleted how many keys were deleted
 * @param prevKvs the deleted keys, when requested
 * @param headers the position of the delete in each partition it touched
 * @param token a resume token over those partitions
 */
public record DeleteResult(
    long deleted, List<KeyValue> prevKvs, List<Header> headers, String token) {}
