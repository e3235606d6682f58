package dev.cohort.kv.ap;

import java.util.List;

/**
 * The answer to a prefix range: best effort, not a snapshot. Each live node's store is scanned on
 * its own, so writes made during the read may or may not be included.
 *
 * @param values the live keys with the prefix, sorted by key, at most the limit
 * @param more whether more keys matched than the limit let through
 */
public record ApRangeResult(List<ApValue> values, boolean more) {}
