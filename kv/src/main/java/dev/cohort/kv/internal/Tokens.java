package dev.cohort.kv.internal;

import dev.cohort.kv.Header;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;

/**
 * Resume and page tokens. Both are opaque to clients: base64url (no padding) of a small text.
 *
 * <ul>
 *   <li>Resume token: {@code r1;<incarnation>;<p>:<rev>[.<k>],...}: for each partition it covers,
 *       the last revision seen completely, or with {@code .k} the first k matching changes of
 *       revision {@code rev} (one transaction may change several keys at one revision). A watch
 *       from it starts right after that position; partitions it does not name start at their
 *       current revision. The incarnation ties it to one keyspace instance: a token of a deleted
 *       and re-created keyspace is refused.
 *   <li>Page token: {@code p1;<last key>}: the next page starts after that key.
 * </ul>
 */
public final class Tokens {
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private Tokens() {}

  /**
   * A position in one partition's change stream: every change up to {@code revision} was seen when
   * {@code seen} is 0, else every change before {@code revision} and the first {@code seen}
   * matching changes at it.
   */
  public record Position(long revision, int seen) {
    public static Position after(long revision) {
      return new Position(revision, 0);
    }

    /** The revision a partition must resend changes after, to cover this position. */
    public long resendAfter() {
      return seen == 0 ? revision : revision - 1;
    }
  }

  public static String resume(long incarnation, Map<Integer, Position> positions) {
    StringBuilder b = new StringBuilder("r1;").append(incarnation).append(';');
    boolean first = true;
    for (Map.Entry<Integer, Position> e : new TreeMap<>(positions).entrySet()) {
      if (!first) {
        b.append(',');
      }
      first = false;
      b.append(e.getKey()).append(':').append(e.getValue().revision());
      if (e.getValue().seen() > 0) {
        b.append('.').append(e.getValue().seen());
      }
    }
    return ENCODER.encodeToString(b.toString().getBytes(StandardCharsets.UTF_8));
  }

  public static String resume(long incarnation, Iterable<Header> headers) {
    TreeMap<Integer, Position> positions = new TreeMap<>();
    for (Header h : headers) {
      Position p = positions.get(h.partition());
      if (p == null || p.revision() < h.revision()) {
        positions.put(h.partition(), Position.after(h.revision()));
      }
    }
    return resume(incarnation, positions);
  }

  /** The positions of a resume token; fails with {@code invalid_resume_token}. */
  public static TreeMap<Integer, Position> parseResume(
      String token, long incarnation, int partitions) {
    try {
      String text = new String(DECODER.decode(token), StandardCharsets.UTF_8);
      String[] parts = text.split(";", -1);
      if (parts.length != 3 || !parts[0].equals("r1")) {
        throw badResume("unknown format");
      }
      if (Long.parseLong(parts[1]) != incarnation) {
        throw badResume("it belongs to an earlier keyspace of the same name");
      }
      TreeMap<Integer, Position> positions = new TreeMap<>();
      if (!parts[2].isEmpty()) {
        for (String entry : parts[2].split(",")) {
          int colon = entry.indexOf(':');
          int p = Integer.parseInt(entry.substring(0, colon));
          String position = entry.substring(colon + 1);
          int dot = position.indexOf('.');
          long r = Long.parseLong(dot < 0 ? position : position.substring(0, dot));
          int seen = dot < 0 ? 0 : Integer.parseInt(position.substring(dot + 1));
          if (p < 0 || p >= partitions || r < 0 || seen < 0 || (seen > 0 && r == 0)) {
            throw badResume("partition " + p + " or revision " + r + " is out of range");
          }
          positions.put(p, new Position(r, seen));
        }
      }
      return positions;
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      throw badResume("it is not a resume token");
    }
  }

  private static KvException badResume(String why) {
    return KvError.INVALID_RESUME_TOKEN.exception("resume token refused: " + why);
  }

  public static String page(String lastKey) {
    return ENCODER.encodeToString(("p1;" + lastKey).getBytes(StandardCharsets.UTF_8));
  }

  /** The last key of the previous page; fails with {@code invalid_page_token}. */
  public static String parsePage(String token) {
    try {
      String text = new String(DECODER.decode(token), StandardCharsets.UTF_8);
      if (!text.startsWith("p1;") || text.length() < 4) {
        throw new IllegalArgumentException();
      }
      return text.substring(3);
    } catch (IllegalArgumentException e) {
      throw KvError.INVALID_PAGE_TOKEN.exception("page token is not one this service issued");
    }
  }
}
