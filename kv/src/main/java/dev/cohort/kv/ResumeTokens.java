package dev.cohort.kv;

import dev.cohort.kv.internal.Tokens;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the per-partition positions a resume token records (range, delete and stats answers carry
 * one instead of a header). For adapters that present a partition's revision to their clients: the
 * etcd API serves a one-partition keyspace, whose revision is etcd's store revision. Tokens stay
 * opaque strings otherwise; their format is not part of the API.
 */
public final class ResumeTokens {
  private ResumeTokens() {}

  /**
   * The position of each partition the token names, ascending by partition; fails with {@code
   * invalid_resume_token} when the token is not one of {@code keyspace}'s.
   */
  public static List<Header> positions(String token, KeyspaceInfo keyspace) {
    List<Header> headers = new ArrayList<>();
    for (Map.Entry<Integer, Tokens.Position> e :
        Tokens.parseResume(token, keyspace.incarnation(), keyspace.partitions()).entrySet()) {
      headers.add(new Header(e.getKey(), e.getValue().revision()));
    }
    return headers;
  }

  /**
   * Whether the token's position in {@code partition} covers every change of its revision. The
   * token of a watch event does for the last event of a revision (the last that the watch matches)
   * and does not for the events before it, so an adapter can deliver the events of one revision
   * together, as etcd does.
   */
  public static boolean endsRevision(String token, KeyspaceInfo keyspace, int partition) {
    Tokens.Position at =
        Tokens.parseResume(token, keyspace.incarnation(), keyspace.partitions()).get(partition);
    return at != null && at.seen() == 0;
  }
}
