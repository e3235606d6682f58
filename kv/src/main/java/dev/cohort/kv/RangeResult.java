package dev.cohort.kv;

import java.util.List;

/**
 * One page of a range read.
 *
 * @param kvs the keys of this page, sorted by key (empty for countOnly)
 * @param count the number of keys in the range from this page's first key on (the whole range for
 *     the first page), as etcd counts from the request's start key
 * @param more whether keys beyond this page match
 * @param next the token for the next page, or null when {@code more} is false
 * @param token a resume token covering every partition read: a watch started from it sees every
 *     change after this read, with no gap
 */
public record RangeResult(
    List<KeyValue> kvs, long count, boolean more, String next, String token) {}
