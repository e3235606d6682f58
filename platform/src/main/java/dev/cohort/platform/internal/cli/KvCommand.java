package dev.cohort.platform.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cohort kv …}: keys, ranges, transactions, watches, leases and locks of a node. */
@Command(
    name = "kv",
    mixinStandardHelpOptions = true,
    description = "Key-value operations against a node's gateway.",
    subcommands = {
      KvCommand.Put.class, KvCommand.Get.class, KvCommand.Del.class, KvCommand.Range.class,
      KvCommand.Txn.class, KvCommand.Watch.class, KvCommand.Lease.class, KvCommand.Lock.class,
      KvCommand.Endpoints.class, KvCommand.Repair.class
    })
public final class KvCommand {

  abstract static class KeyspaceCommand extends ClientCommand {
    @Option(
        names = {"-k", "--keyspace"},
        defaultValue = "default",
        description = "keyspace (default: default)")
    String keyspace;

    String keys(String key) {
      return "/v1/kv/" + encode(keyspace) + "/keys/" + encode(key);
    }
  }

  @Command(name = "put", mixinStandardHelpOptions = true, description = "Put a value under a key.")
  static final class Put extends KeyspaceCommand implements Runnable {
    @Parameters(index = "0", description = "the key")
    String key;

    @Parameters(index = "1", description = "the value (UTF-8 text)")
    String value;

    @Option(names = "--lease", description = "attach to this lease id")
    Long lease;

    @Option(names = "--prev-kv", description = "return the previous value")
    boolean prevKv;

    @Override
    public void run() {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("value", value);
      if (lease != null) {
        body.put("lease", lease);
      }
      body.put("prevKv", prevKv);
      JsonNode answer = put(keys(key), body);
      if (format(OutputFormat.SIMPLE) != OutputFormat.SIMPLE) {
        show(answer, OutputFormat.SIMPLE);
        return;
      }
      Output.out().println("OK");
      if (answer.has("prevKv")) {
        Output.keyValue(answer.path("prevKv"), false);
      }
    }
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = "Get a key (optionally at a past revision).")
  static final class Get extends KeyspaceCommand implements Runnable {
    @Parameters(index = "0", description = "the key")
    String key;

    @Option(names = "--rev", description = "revision of the key's partition")
    Long revision;

    @Override
    public void run() {
      JsonNode answer = get(keys(key) + (revision == null ? "" : "?revision=" + revision));
      if (format(OutputFormat.SIMPLE) == OutputFormat.SIMPLE) {
        Output.keyValue(answer.path("kv"), false);
      } else {
        show(answer, OutputFormat.SIMPLE);
      }
    }
  }

  @Command(
      name = "del",
      mixinStandardHelpOptions = true,
      description = "Delete a key, or every key with a prefix.")
  static final class Del extends KeyspaceCommand implements Runnable {
    @Parameters(index = "0", description = "the key, or the prefix with --prefix")
    String key;

    @Option(names = "--prefix", description = "delete every key starting with KEY")
    boolean prefix;

    @Override
    public void run() {
      JsonNode answer =
          prefix
              ? delete("/v1/kv/" + encode(keyspace) + "/keys?prefix=" + encode(key))
              : delete(keys(key));
      if (format(OutputFormat.SIMPLE) == OutputFormat.SIMPLE) {
        Output.out().println(answer.path("deleted").asLong());
      } else {
        show(answer, OutputFormat.SIMPLE);
      }
    }
  }

  @Command(
      name = "range",
      mixinStandardHelpOptions = true,
      description = "List keys by prefix, sorted.")
  static final class Range extends KeyspaceCommand implements Runnable {
    @Parameters(index = "0", defaultValue = "", description = "key prefix (default: all keys)")
    String prefix;

    @Option(
        names = "--limit",
        defaultValue = "0",
        description = "at most this many keys; 0 for no limit (default: 0)")
    int limit;

    @Option(names = "--keys-only", description = "print only the keys, without values")
    boolean keysOnly;

    @Option(names = "--count-only", description = "print only how many keys match")
    boolean countOnly;

    @Override
    public void run() {
      JsonNode answer =
          get(
              "/v1/kv/"
                  + encode(keyspace)
                  + "/keys?prefix="
                  + encode(prefix)
                  + "&limit="
                  + limit
                  + "&keysOnly="
                  + keysOnly
                  + "&countOnly="
                  + countOnly);
      if (keysOnly) {
        answer.path("kvs").forEach(kv -> ((ObjectNode) kv).retain("key"));
      }
      switch (format(OutputFormat.SIMPLE)) {
        case SIMPLE -> {
          if (countOnly) {
            Output.out().println(answer.path("count").asLong());
          } else {
            answer.path("kvs").forEach(kv -> Output.keyValue(kv, keysOnly));
          }
        }
        case TABLE -> Table.ofItems(answer.path("kvs"), "KEY").print(Output.out());
        case JSON -> Output.json(answer);
      }
    }
  }

  @Command(
      name = "txn",
      mixinStandardHelpOptions = true,
      description =
          "Run a transaction given as JSON ({\"compare\":[…],\"success\":[…],\"failure\":[…]}) from a file or stdin.")
  static final class Txn extends KeyspaceCommand implements Runnable {
    @Parameters(index = "0", defaultValue = "-", description = "JSON file, or - for stdin")
    String file;

    @Override
    public void run() {
      try {
        String body =
            file.equals("-")
                ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                : Files.readString(Path.of(file));
        show(post("/v1/kv/" + encode(keyspace) + "/txn", body), OutputFormat.SIMPLE);
      } catch (IOException e) {
        throw new CliException(CliErrors.USAGE, "cannot read the transaction: " + e.getMessage());
      }
    }
  }

  @Command(
      name = "watch",
      mixinStandardHelpOptions = true,
      description = "Print every change of a key or prefix until interrupted.")
  static final class Watch extends KeyspaceCommand implements Runnable {
    @Parameters(index = "0", description = "the key, or the prefix with --prefix")
    String key;

    @Option(names = "--prefix", description = "watch every key starting with KEY")
    boolean prefix;

    @Option(names = "--from", description = "resume token to continue after")
    String from;

    @Option(names = "--prev-kv", description = "include each change's previous value")
    boolean prevKv;

    @Override
    public void run() {
      OutputFormat format = format(OutputFormat.SIMPLE);
      if (format == OutputFormat.TABLE) {
        throw new CliException(
            CliErrors.USAGE, "a watch prints as it goes: use -o simple or -o json, not table");
      }
      String path =
          "/v1/kv/"
              + encode(keyspace)
              + "/watch?"
              + (prefix ? "prefix=" : "key=")
              + encode(key)
              + (from == null ? "" : "&from=" + encode(from))
              + (prevKv ? "&prevKv=true" : "");
      stream(path, data -> event(format, data), System.err);
    }

    /** etcdctl's lines (PUT or DELETE, the key, the value) or the event's JSON on one line. */
    private static void event(OutputFormat format, String data) {
      try {
        JsonNode event = JSON.readTree(data);
        if (format == OutputFormat.JSON) {
          Output.jsonLine(event);
          return;
        }
        Output.out().println(event.path("type").asText().toUpperCase(java.util.Locale.ROOT));
        Output.keyValue(event.path("kv"), false);
      } catch (IOException e) {
        throw new CliException("the watch sent an event that is not JSON: " + data);
      }
    }
  }

  @Command(
      name = "endpoints",
      mixinStandardHelpOptions = true,
      description = "Show the replicas of a key of an AP keyspace (as nodetool getendpoints).")
  static final class Endpoints extends KeyspaceCommand implements Runnable {
    @Parameters(index = "0", description = "the key")
    String key;

    @Override
    public void run() {
      show(
          get("/v1/kv/" + encode(keyspace) + "/endpoints?key=" + encode(key)), OutputFormat.SIMPLE);
    }
  }

  @Command(
      name = "repair",
      mixinStandardHelpOptions = true,
      description =
          "Run anti-entropy repair of an AP keyspace from the node asked (as nodetool repair).")
  static final class Repair extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the AP keyspace")
    String keyspace;

    @Override
    public void run() {
      show(post("/v1/kv/" + encode(keyspace) + "/repair", null), OutputFormat.SIMPLE);
    }
  }

  @Command(
      name = "lease",
      mixinStandardHelpOptions = true,
      description = "grant TTL | keepalive ID | get ID | revoke ID")
  static final class Lease extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "grant, keepalive, get or revoke")
    String action;

    @Parameters(index = "1", description = "TTL in seconds (grant) or lease id")
    long argument;

    @Override
    public void run() {
      JsonNode answer =
          switch (action) {
            case "grant" -> post("/v1/leases", Map.of("ttlSeconds", argument));
            case "keepalive" -> post("/v1/leases/" + argument + "/keepalive", null);
            case "get" -> get("/v1/leases/" + argument);
            case "revoke" -> delete("/v1/leases/" + argument);
            default ->
                throw new CliException(
                    CliErrors.USAGE, "lease action must be grant, keepalive, get or revoke");
          };
      if (action.equals("grant") && format(OutputFormat.SIMPLE) == OutputFormat.SIMPLE) {
        Output.out()
            .println(
                "lease "
                    + answer.path("id").asLong()
                    + " granted with TTL("
                    + answer.path("ttlSeconds").asLong()
                    + "s)");
      } else {
        show(answer, OutputFormat.SIMPLE);
      }
    }
  }

  @Command(
      name = "lock",
      mixinStandardHelpOptions = true,
      description =
          "Acquire a lock and print its key and fencing token; release it with --release KEY.")
  static final class Lock extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the lock's name")
    String name;

    @Option(names = "--ttl", defaultValue = "30", description = "lease TTL in seconds")
    long ttl;

    @Option(
        names = "--wait-ms",
        defaultValue = "10000",
        description = "how long to wait for the lock")
    long waitMs;

    @Option(names = "--release", description = "release the lock held under this key")
    String release;

    @Override
    public void run() {
      show(
          release != null
              ? delete("/v1/locks/" + encode(name) + "/" + encode(release))
              : post("/v1/locks/" + encode(name), Map.of("ttlSeconds", ttl, "waitMs", waitMs)),
          OutputFormat.SIMPLE);
    }
  }
}
