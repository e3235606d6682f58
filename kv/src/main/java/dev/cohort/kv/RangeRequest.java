package dev.cohort.kv;

/**
 * A range read over the keys of a keyspace, sorted by key across all partitions: either every key
 * starting with {@code prefix}, or every key in {@code [from, to)} (an empty {@code to} means no
 * upper bound). Exactly one of prefix and from must be set ({@code ""} counts as unset for from; an
 * empty prefix means all keys).
 *
 * @param prefix the key prefix, or null for a from/to range
 * @param from the first key (inclusive), or null for a prefix range
 * @param to the end key (exclusive), or null/empty for no upper bound
 * @param limit the most keys to return, 0 for the configured maximum
 * @param keysOnly leave values out
 * @param countOnly return only the count of matching keys
 * @param page the {@code next} token of the previous page, or null for the first page
 */
public record RangeRequest(
    String prefix,
    String from,
    String to,
    int limit,
    boolean keysOnly,
    boolean countOnly,
    String page) {

  public static RangeRequest prefix(String prefix) {
    return new RangeRequest(prefix, null, null, 0, false, false, null);
  }

  public static RangeRequest between(String from, String to) {
    return new RangeRequest(null, from, to, 0, false, false, null);
  }

  public RangeRequest withLimit(int n) {
    return new RangeRequest(prefix, from, to, n, keysOnly, countOnly, page);
  }

  public RangeRequest withKeysOnly() {
    return new RangeRequest(prefix, from, to, limit, true, countOnly, page);
  }

  public RangeRequest withCountOnly() {
    return new RangeRequest(prefix, from, to, limit, keysOnly, true, page);
  }

  public RangeRequest withPage(String token) {
    return new RangeRequest(prefix, from, to, limit, keysOnly, countOnly, token);
  }
}
