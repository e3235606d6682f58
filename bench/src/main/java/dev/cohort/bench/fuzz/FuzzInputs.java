package dev.cohort.bench.fuzz;

import dev.cohort.gateway.Endpoint;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates bad requests for the gateway's declared endpoints, each from the run's seed and its
 * index alone (so one input can be regenerated without the others). Inputs are invalid by
 * construction: a request whose method may change state always names resources that do not exist
 * and carries a body that no endpoint accepts (not JSON, not an object, wrong types in every field
 * any endpoint reads, too deep, too large, or bytes that are not UTF-8), so that no input may
 * change state. Reading requests also use the names of resources that exist, to reach deeper.
 */
final class FuzzInputs {
  private static final String[] METHODS = {
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"
  };

  /** Names that reach no resource (percent-encoded as sent): traversal, NUL, bad UTF-8, … */
  private static final String[] BAD_NAMES = {
    "..",
    ".",
    "%2e%2e",
    "%2E%2E%2Fetc%2Fpasswd",
    "..%2f..%2fetc%2fpasswd",
    "..%5c..%5cwindows",
    "a%2fb",
    "%2f",
    "%00",
    "a%00b",
    "%ff%fe",
    "%c0%ae%c0%ae",
    "%ed%a0%80",
    "%",
    "%zz",
    "%e2%80%ae",
    "%0d%0aX-Injected:%201",
    "%20",
    "-",
    "UPPER_case",
    "%7b%7d",
    "%f0%9f%98%80",
    "a;b=c",
    "nul",
    "%25",
    "%252e%252e"
  };

  private static final String[] BAD_KEYS = {
    "../../etc/passwd",
    "%2e%2e/%2e%2e/secret",
    "..%2f..%2f",
    "a/../../b",
    "a%00b",
    "%00",
    "%ff",
    "%c3%28",
    "%",
    "%zz/x",
    "a//b",
    "%2f%2f",
    "fuzz-none/%e2%80%ae"
  };

  /** Every field name a gateway codec reads (and the etcd JSON gateway's), given wrong types. */
  private static final String[] FIELDS = {
    "acks",
    "autoOffsetReset",
    "batchSize",
    "baseSequence",
    "checkpointEverySteps",
    "clientId",
    "compare",
    "configs",
    "consistency",
    "count_only",
    "create_request",
    "dataset",
    "deadline",
    "definition",
    "delta",
    "epochs",
    "failure",
    "from",
    "group",
    "groupId",
    "headers",
    "headersBase64",
    "id",
    "ID",
    "ignoreLease",
    "input",
    "key",
    "keyBase64",
    "keys_only",
    "layers",
    "lease",
    "limit",
    "lr",
    "maxBytes",
    "maxRecords",
    "maxWaitMs",
    "member",
    "memberId",
    "mode",
    "model",
    "momentum",
    "name",
    "offset",
    "offsets",
    "optimizer",
    "partition",
    "partitions",
    "prefix",
    "prevKv",
    "prev_kv",
    "producerEpoch",
    "producerId",
    "range_end",
    "reason",
    "records",
    "replicationFactor",
    "resolution",
    "revision",
    "seed",
    "sessionTimeoutMs",
    "sink",
    "source",
    "steps",
    "success",
    "target",
    "topic",
    "TTL",
    "ttlSeconds",
    "type",
    "value",
    "valueBase64",
    "waitMs",
    "workers",
    "action",
    "compensation",
    "retry",
    "timeoutMs"
  };

  private static final String[] QUERY_NAMES = {
    "revision",
    "limit",
    "prefix",
    "from",
    "to",
    "consistency",
    "keysOnly",
    "countOnly",
    "offset",
    "maxRecords",
    "maxWaitMs",
    "maxBytes",
    "key",
    "startRevision",
    "prevKv",
    "partition",
    "memberId",
    "generation",
    "state",
    "definition"
  };

  private static final String[] QUERY_VALUES = {
    "abc",
    "-1",
    "99999999999999999999999",
    "1e400",
    "1.5",
    "",
    "%00",
    "%ff",
    "%zz",
    "..%2f..",
    "true%00",
    "-9223372036854775808",
    "0x10"
  };

  private static final String[] CONTENT_TYPES = {
    "text/plain",
    "application/xml",
    "application/json; charset=iso-8859-1",
    "application/json; charset=no-such-charset",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=",
    ";;;",
    "application/json\u0000"
  };

  private final List<Endpoint> endpoints;
  private final List<String> knownNames;
  private final long seed;
  private final long maxBodyBytes;

  /**
   * @param knownNames names of resources that exist (used only in reading requests)
   * @param maxBodyBytes the gateway's body limit, for bodies just over it
   */
  FuzzInputs(List<Endpoint> endpoints, List<String> knownNames, long seed, long maxBodyBytes) {
    this.endpoints = List.copyOf(endpoints);
    this.knownNames = List.copyOf(knownNames);
    this.seed = seed;
    this.maxBodyBytes = maxBodyBytes;
  }

  /** Input {@code index}: every endpoint in turn, the rest from the seed and the index. */
  FuzzInput input(long index) {
    SplittableRandom random = new SplittableRandom(seed ^ (index * 0x9E3779B97F4A7C15L));
    Endpoint endpoint = endpoints.get((int) (index % endpoints.size()));
    String method =
        random.nextInt(100) < 85
            ? endpoint.method().name()
            : METHODS[random.nextInt(METHODS.length)];
    boolean mutating = !method.equals("GET") && !method.equals("HEAD");
    String template = endpoint.path().text();
    String target = path(random, template, mutating) + query(random);
    Body body = body(random, mutating);
    Request request = new Request(method, target, body);
    String kind = body.kind();
    int shape = random.nextInt(100);
    if (shape < 6) {
      kind = requestLine(random, request);
    } else if (shape < 14) {
      kind = headers(random, request);
    }
    int dribble = 0;
    long pause = 0;
    if (random.nextInt(1000) < 1 && request.computedLength && request.body.length > 0) {
      request.declaredExtra = 1 + random.nextInt(100);
      kind = kind + "+stalled";
    } else if (random.nextInt(100) < 2 && request.body.length > 0 && request.body.length < 400) {
      dribble = 1 + random.nextInt(4);
      pause = 5 + random.nextInt(10);
      kind = kind + "+slow";
    }
    return new FuzzInput(
        index, template, kind, method, request.head(), request.body, dribble, pause, mutating);
  }

  // Paths and queries

  private String path(SplittableRandom random, String template, boolean mutating) {
    StringBuilder path = new StringBuilder();
    for (String segment : template.substring(1).split("/")) {
      path.append('/');
      if (!segment.startsWith("{")) {
        path.append(segment);
      } else if (segment.endsWith("*}")) {
        path.append(
            !mutating && random.nextBoolean()
                ? knownName(random)
                : BAD_KEYS[random.nextInt(BAD_KEYS.length)]);
      } else if (segment.endsWith(":int}") || segment.endsWith(":long}")) {
        path.append(number(random, mutating));
      } else {
        path.append(!mutating && random.nextInt(10) < 4 ? knownName(random) : badName(random));
      }
    }
    return path.toString();
  }

  private String knownName(SplittableRandom random) {
    return knownNames.get(random.nextInt(knownNames.size()));
  }

  private static String badName(SplittableRandom random) {
    if (random.nextInt(20) == 0) {
      return "a".repeat(200 + random.nextInt(2000));
    }
    return BAD_NAMES[random.nextInt(BAD_NAMES.length)];
  }

  private static String number(SplittableRandom random, boolean mutating) {
    return switch (random.nextInt(6)) {
      case 0 -> Long.toString(Long.MAX_VALUE);
      case 1 -> "2147483648";
      case 2 -> "00000000000000000000001";
      case 3 -> "-1";
      case 4 -> mutating ? "9" + Math.abs(random.nextLong() % 1_000_000_000_000L) : "0";
      default -> Long.toString(1_000_000 + Math.abs(random.nextLong() % Long.MAX_VALUE / 2));
    };
  }

  private static String query(SplittableRandom random) {
    if (random.nextBoolean()) {
      return "";
    }
    StringBuilder query = new StringBuilder("?");
    int n = 1 + random.nextInt(4);
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        query.append('&');
      }
      query.append(
          random.nextInt(10) == 0 ? "%zz" : QUERY_NAMES[random.nextInt(QUERY_NAMES.length)]);
      query.append('=').append(QUERY_VALUES[random.nextInt(QUERY_VALUES.length)]);
    }
    return query.toString();
  }

  // Bodies

  /** A body and what makes it bad; reading requests may also go without one. */
  private record Body(String kind, byte[] bytes) {}

  private Body body(SplittableRandom random, boolean mutating) {
    if (!mutating && random.nextInt(3) == 0) {
      return new Body("no-body", new byte[0]);
    }
    return switch (random.nextInt(8)) {
      case 0 -> new Body("not-json", notJson(random));
      case 1 -> new Body("not-an-object", ascii(scalar(random)));
      case 2 -> new Body("deep-nesting", deep(random));
      case 3 -> new Body("invalid-utf8", invalidUtf8(random));
      case 4 -> new Body("nul-bytes", nul(random));
      case 5 -> new Body("oversized", oversized(random));
      default -> new Body("wrong-types", ascii(wrongTypes(random)));
    };
  }

  private static byte[] notJson(SplittableRandom random) {
    return switch (random.nextInt(4)) {
      case 0 -> ascii("{\"name\":\"x\",");
      case 1 -> ascii("{'name': 'single quotes'}");
      case 2 -> ascii("{\"a\":NaN}");
      default -> {
        byte[] bytes = new byte[1 + random.nextInt(64)];
        for (int i = 0; i < bytes.length; i++) {
          bytes[i] = (byte) (0x21 + random.nextInt(0x5d));
        }
        bytes[0] = '{';
        yield bytes;
      }
    };
  }

  private static String scalar(SplittableRandom random) {
    return switch (random.nextInt(8)) {
      case 0 -> "[]";
      case 1 -> "[{\"name\":1.5}]";
      case 2 -> "\"text\"";
      case 3 -> "true";
      case 4 -> "null";
      case 5 -> "1e400";
      case 6 -> "-" + digits(random, 30 + random.nextInt(2000));
      default -> "42";
    };
  }

  private static byte[] deep(SplittableRandom random) {
    int depth =
        switch (random.nextInt(4)) {
          case 0 -> 1_100;
          case 1 -> 5_000;
          case 2 -> 60_000;
          default -> 2_000 + random.nextInt(20_000);
        };
    boolean objects = random.nextBoolean();
    boolean closed = random.nextInt(4) != 0;
    StringBuilder json = new StringBuilder("{\"" + FIELDS[random.nextInt(FIELDS.length)] + "\":");
    json.append((objects ? "{\"a\":" : "[").repeat(depth)).append("1.5");
    if (closed) {
      json.append((objects ? "}" : "]").repeat(depth))
          .append(',')
          .append(wrongTypes(random).substring(1));
    }
    return ascii(json.toString());
  }

  private static byte[] invalidUtf8(SplittableRandom random) {
    byte[][] bad = {
      {(byte) 0xff},
      {(byte) 0xc3, 0x28},
      {(byte) 0xc0, (byte) 0xaf},
      {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
      {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80},
      {(byte) 0xe2, 0x28}
    };
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(ascii("{\"" + FIELDS[random.nextInt(FIELDS.length)] + "\":\"x"));
    out.writeBytes(bad[random.nextInt(bad.length)]);
    out.writeBytes(ascii("\"," + wrongTypes(random).substring(1)));
    return out.toByteArray();
  }

  private static byte[] nul(SplittableRandom random) {
    String object = wrongTypes(random);
    return switch (random.nextInt(3)) {
      case 0 -> ascii("\u0000" + object);
      case 1 -> ascii(object.replaceFirst(":", ":\"a\u0000b\",\"n\":"));
      default -> ascii(object.replaceFirst(":", ":\"a\\u0000b\",\"n\":"));
    };
  }

  private byte[] oversized(SplittableRandom random) {
    int size = (int) Math.min(maxBodyBytes + 1 + random.nextInt(64 * 1024), 64L << 20);
    byte[] body = new byte[size];
    java.util.Arrays.fill(body, (byte) 'a');
    byte[] open = ascii("{\"value\":\"");
    System.arraycopy(open, 0, body, 0, open.length);
    body[size - 2] = '"';
    body[size - 1] = '}';
    return body;
  }

  /** Every field any codec reads, each with a value of a type no field accepts. */
  private static String wrongTypes(SplittableRandom random) {
    StringBuilder json = new StringBuilder("{");
    List<String> fields = new ArrayList<>(List.of(FIELDS));
    for (int i = fields.size() - 1; i > 0; i--) {
      java.util.Collections.swap(fields, i, random.nextInt(i + 1));
    }
    for (String field : fields) {
      if (json.length() > 1) {
        json.append(',');
      }
      json.append('"').append(field).append("\":").append(wrongValue(random));
    }
    return json.append('}').toString();
  }

  private static String wrongValue(SplittableRandom random) {
    return switch (random.nextInt(6)) {
      case 0 -> "1.5";
      case 1 -> "-3.75e-3";
      case 2 -> "1e400";
      case 3 -> digits(random, 25 + random.nextInt(400));
      case 4 -> "[1.5,[2.5]]";
      default -> "0.5";
    };
  }

  private static String digits(SplittableRandom random, int n) {
    StringBuilder digits = new StringBuilder().append((char) ('1' + random.nextInt(9)));
    for (int i = 1; i < n; i++) {
      digits.append((char) ('0' + random.nextInt(10)));
    }
    return digits.toString();
  }

  // Request lines and headers

  /** The request as sent; the generators below bend its line and headers. */
  private static final class Request {
    String method;
    byte[] target;
    final List<byte[]> headers = new ArrayList<>();
    byte[] body;
    boolean computedLength = true;
    int declaredExtra;
    boolean host = true;
    String version = "HTTP/1.1";

    Request(String method, String target, Body body) {
      this.method = method;
      this.target = ascii(target);
      this.body = body.bytes();
      if (this.body.length > 0) {
        headers.add(ascii("Content-Type: application/json"));
      }
    }

    byte[] head() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(ascii(method + " "));
      out.writeBytes(target);
      out.writeBytes(ascii(" " + version + "\r\n"));
      if (host) {
        out.writeBytes(ascii("Host: 127.0.0.1\r\n"));
      }
      for (byte[] header : headers) {
        out.writeBytes(header);
        out.writeBytes(ascii("\r\n"));
      }
      if (computedLength) {
        out.writeBytes(ascii("Content-Length: " + (body.length + declaredExtra) + "\r\n"));
      }
      out.writeBytes(ascii("Connection: close\r\n\r\n"));
      return out.toByteArray();
    }
  }

  private static String requestLine(SplittableRandom random, Request request) {
    String target = new String(request.target, StandardCharsets.ISO_8859_1);
    int slash = target.indexOf('/', 1);
    String prefix = slash < 0 ? target : target.substring(0, slash);
    String rest = slash < 0 ? "" : target.substring(slash);
    switch (random.nextInt(8)) {
      case 6 -> {
        request.method = random.nextBoolean() ? "FROB" : "GET\u0000";
        return "unknown-method";
      }
      case 7 -> {
        request.version = random.nextBoolean() ? "HTTP/9.9" : "HTTP/1.1x";
        return "bad-version";
      }
      case 0 -> {
        request.target =
            concat(ascii(prefix + "/"), new byte[] {(byte) 0xff, (byte) 0xfe}, ascii(rest));
        return "raw-bytes-in-path";
      }
      case 1 -> {
        request.target = concat(ascii(prefix), new byte[] {0}, ascii(rest));
        return "nul-in-path";
      }
      case 2 -> {
        request.target = ascii(target + "/" + "x".repeat(3_000 + random.nextInt(20_000)));
        return "long-uri";
      }
      case 3 -> {
        request.target = ascii(prefix + "/../../.." + rest);
        return "dot-segments";
      }
      case 4 -> {
        request.target = ascii(prefix + "/%2e%2e%2f%2e%2e%2f" + rest);
        return "encoded-traversal";
      }
      default -> {
        request.target = ascii("http://127.0.0.1" + target);
        return "absolute-form";
      }
    }
  }

  private static String headers(SplittableRandom random, Request request) {
    switch (random.nextInt(7)) {
      case 0 -> {
        request.headers.add(ascii("X-Fuzz: " + "v".repeat(9_000 + random.nextInt(60_000))));
        return "huge-header";
      }
      case 1 -> {
        int n = 70 + random.nextInt(300);
        for (int i = 0; i < n; i++) {
          request.headers.add(ascii("X-Fuzz-" + i + ": " + i));
        }
        return "many-headers";
      }
      case 2 -> {
        request.headers.add(
            concat(ascii("X-Fuzz: a"), new byte[] {0, (byte) 0xff, '\r', 'b'}, ascii("c")));
        return "header-bytes";
      }
      case 3 -> {
        request.computedLength = false;
        request.headers.add(
            ascii(
                switch (random.nextInt(4)) {
                  case 0 -> "Content-Length: -5";
                  case 1 -> "Content-Length: abc";
                  case 2 -> "Content-Length: 99999999999999";
                  default -> "Content-Length: 1\r\nContent-Length: 2";
                }));
        return "bad-content-length";
      }
      case 4 -> {
        request.computedLength = false;
        request.headers.add(ascii("Transfer-Encoding: chunked"));
        request.body = ascii("zz\r\n" + new String(request.body, StandardCharsets.ISO_8859_1));
        return "bad-chunks";
      }
      case 5 -> {
        request.headers.removeIf(
            h -> new String(h, StandardCharsets.ISO_8859_1).startsWith("Content-Type"));
        request.headers.add(
            ascii("Content-Type: " + CONTENT_TYPES[random.nextInt(CONTENT_TYPES.length)]));
        return "content-type";
      }
      default -> {
        request.host = false;
        request.headers.add(ascii("Last-Event-ID: " + BAD_NAMES[random.nextInt(BAD_NAMES.length)]));
        return "no-host";
      }
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }
}
