package dev.cohort.observability;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.core.metrics.Metric;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The metrics registry of one node, as a Pekko extension: one {@link PrometheusRegistry} per {@link
 * ActorSystem}, so that several nodes in one JVM (as in tests) never share or clash on series.
 *
 * <p>Modules obtain their metrics through {@link #counter}, {@link #histogram} and {@link #gauge},
 * which create a metric on first use and return the same instance afterwards: an entity type
 * initialised twice, or two actors asking for the same metric, never register a name twice.
 *
 * <p>Names follow {@code cohort_<module>_<what>_<unit>}. Thread-safe.
 */
public final class Metrics implements Extension {

  /** Latency buckets in seconds, from 100 µs to 30 s, shared by every request histogram. */
  public static final double[] LATENCY_BUCKETS_SECONDS = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    30
  };

  private static final ExtensionId<Metrics> ID =
      new ExtensionId<>() {
        @Override
        public Metrics createExtension(ActorSystem<?> system) {
          return new Metrics(system.settings().config().getString("cohort.observability.version"));
        }
      };

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Map<String, Metric> metrics = new ConcurrentHashMap<>();
  private final PrometheusTextFormatWriter textWriter = PrometheusTextFormatWriter.create();
  private final OpenMetricsTextFormatWriter openMetricsWriter =
      OpenMetricsTextFormatWriter.create();

  private Metrics(String version) {
    JvmMetrics.builder().register(registry);
    Info buildInfo =
        Info.builder()
            .name("cohort_build_info")
            .help("Cohort version and the Java runtime this node runs on")
            .labelNames("version", "java_version")
            .register(registry);
    buildInfo.addLabelValues(version, Runtime.version().toString());
  }

  public static Metrics get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** A counter named {@code name} (give it without {@code _total}; the exposition adds it). */
  public Counter counter(String name, String help, String... labelNames) {
    return cached(
        name,
        Counter.class,
        () -> Counter.builder().name(name).help(help).labelNames(labelNames).register(registry));
  }

  /** A classic histogram in seconds with {@link #LATENCY_BUCKETS_SECONDS}. */
  public Histogram histogram(String name, String help, String... labelNames) {
    return histogram(name, help, LATENCY_BUCKETS_SECONDS, labelNames);
  }

  public Histogram histogram(String name, String help, double[] buckets, String... labelNames) {
    return cached(
        name,
        Histogram.class,
        () ->
            Histogram.builder()
                .name(name)
                .help(help)
                .classicOnly()
                .classicUpperBounds(buckets)
                .labelNames(labelNames)
                .register(registry));
  }

  /**
   * A gauge whose values are read at scrape time from {@code callback}, which receives a sink
   * taking (value, label values). The first registration of a name wins.
   */
  public GaugeWithCallback gauge(
      String name, String help, Consumer<GaugeSink> callback, String... labelNames) {
    return cached(
        name,
        GaugeWithCallback.class,
        () ->
            GaugeWithCallback.builder()
                .name(name)
                .help(help)
                .labelNames(labelNames)
                .callback(cb -> callback.accept(cb::call))
                .register(registry));
  }

  /** The registry in the Prometheus text exposition format (version 0.0.4). */
  public String scrape() {
    return scrape(textWriter);
  }

  /**
   * The registry in the format {@code accept} (an HTTP Accept header, may be null) asks for:
   * OpenMetrics when it names {@code application/openmetrics-text} (the format that carries
   * exemplars, which Prometheus asks for with {@code --enable-feature=exemplar-storage}), else the
   * Prometheus text format.
   */
  public Scrape scrape(String accept) {
    if (openMetricsWriter.accepts(accept)) {
      return new Scrape(OpenMetricsTextFormatWriter.CONTENT_TYPE, scrape(openMetricsWriter));
    }
    return new Scrape(PrometheusTextFormatWriter.CONTENT_TYPE, scrape(textWriter));
  }

  private String scrape(ExpositionFormatWriter writer) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      writer.write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  public static String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  /** One scrape's body and the content type it is written in. */
  public record Scrape(String contentType, String body) {}

  private <M extends Metric> M cached(String name, Class<M> type, Supplier<M> create) {
    Metric metric = metrics.computeIfAbsent(name, n -> create.get());
    if (!type.isInstance(metric)) {
      throw new IllegalStateException(
          "metric '" + name + "' is already registered as " + metric.getClass().getSimpleName());
    }
    return type.cast(metric);
  }

  /** Receives one gauge value with its label values during a scrape. */
  @FunctionalInterface
  public interface GaugeSink {
    void set(double value, String... labelValues);
  }
}
