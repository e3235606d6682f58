package dev.cohort.bench.chaos;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;

/**
 * The gateways a workload talks to: the base URI of every node's HTTP gateway (for example {@code
 * http://127.0.0.2:18081}), one shared {@link HttpClient}, and the timeout every request carries
 * (an answer later than it is an INDETERMINATE operation).
 */
public record Gateways(List<URI> nodes, HttpClient http, Duration requestTimeout) {
  public Gateways {
    nodes = List.copyOf(nodes);
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("at least one gateway is needed");
    }
  }
}
