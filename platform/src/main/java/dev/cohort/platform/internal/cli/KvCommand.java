package dev.cohort.platform.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
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
    @Parameters(index = "0")
    String key;

    @Parameters(index = "1")
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
      print(put(keys(key), body));
    }
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = "Get a key (optionally at a past revision).")
  static final class Get extends KeyspaceCommand implements Runnable {
    @Parameters(index = "0")
    String key;

    @Option(names = "--rev", description = "revision of the key's partition")
    Long revision;

    @Override
    public void run() {
      print(get(keys(key) + (revision == null ? "" : "?revision=" + revision)));
    }
  }

  @Command(
      name = "del",
      mixinStandardHelpOptions = true,
      description = "Delete a key, or every key with a prefix.")
  static final class Del extends KeyspaceCommand implements Runnable {
    @Parameters(index = "0")
    String key;

    @Option(names = "--prefix", description = "delete every key starting with KEY")
    boolean prefix;

    @Override
    public void run() {
      print(
          prefix
              ? delete("/v1/kv/" + encode(keyspace) + "/keys?prefix=" + encode(key))
              : delete(keys(key)));
    }
  }

  @Command(
      name = "range",
      mixinStandardHelpOptions = true,
      description = "List keys by prefix, sorted.")
  static final class Range extends KeyspaceCommand implements Runnable {
    @Parameters(index = "0", defaultValue = "", description = "key prefix (default: all keys)")
    String prefix;

    @Option(names = "--limit", defaultValue = "0")
    int limit;

    @Option(names = "--keys-only")
    boolean keysOnly;

    @Option(names = "--count-only")
    boolean countOnly;

    @Override
    public void run() {
      print(
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
                  + countOnly));
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
        print(post("/v1/kv/" + encode(keyspace) + "/txn", body));
      } catch (IOException e) {
        throw new CliException("cannot read the transaction: " + e.getMessage());
      }
    }
  }

  @Command(
      name = "watch",
      mixinStandardHelpOptions = true,
      description = "Print every change of a key or prefix until interrupted.")
  static final class Watch extends KeyspaceCommand implements Runnable {
    @Parameters(index = "0")
    String key;

    @Option(names = "--prefix")
    boolean prefix;

    @Option(names = "--from", description = "resume token to continue after")
    String from;

    @Option(names = "--prev-kv")
    boolean prevKv;

    @Override
    public void run() {
      String path =
          "/v1/kv/"
              + encode(keyspace)
              + "/watch?"
              + (prefix ? "prefix=" : "key=")
              + encode(key)
              + (from == null ? "" : "&from=" + encode(from))
              + (prevKv ? "&prevKv=true" : "");
      stream(path, System.out::println, System.err);
    }
  }

  @Command(
      name = "endpoints",
      mixinStandardHelpOptions = true,
      description = "Show the replicas of a key of an AP keyspace (as nodetool getendpoints).")
  static final class Endpoints extends KeyspaceCommand implements Runnable {
    @Parameters(index = "0")
    String key;

    @Override
    public void run() {
      print(get("/v1/kv/" + encode(keyspace) + "/endpoints?key=" + encode(key)));
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
      print(post("/v1/kv/" + encode(keyspace) + "/repair", null));
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
                throw new CliException("lease action must be grant, keepalive, get or revoke");
          };
      print(answer);
    }
  }

  @Command(
      name = "lock",
      mixinStandardHelpOptions = true,
      description =
          "Acquire a lock and print its key and fencing token; release it with --release KEY.")
  static final class Lock extends ClientCommand implements Runnable {
    @Parameters(index = "0")
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
      print(
          release != null
              ? delete("/v1/locks/" + encode(name) + "/" + encode(release))
              : post("/v1/locks/" + encode(name), Map.of("ttlSeconds", ttl, "waitMs", waitMs)));
    }
  }
}
