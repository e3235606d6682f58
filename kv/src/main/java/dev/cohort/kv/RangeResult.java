package dev.cohort.kv;

import java.util.List;

/**
 * One page of a range read.
 *
 * @param kvs the keys of this page, sorted by key (empty for countOnly)
 * @param count the number of keys matching the whole range (not only this page)
 * @param more whether keys beyond this page match
 * @param next the token for the next page, or null when {@code more} is false
 * @param token a resume token covering every partition read: a watch started from it sees every
 *     change after this read, with no gap
 */
public record RangeResult(
    List<KeyValue> kvs, long count, boolean more, String next, String token) {}
