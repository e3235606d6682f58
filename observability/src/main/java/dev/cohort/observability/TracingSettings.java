package dev.cohort.observability;

import com.typesafe.config.Config;
import java.util.Locale;
import java.util.Map;

/**
 * {@code cohort.observability.tracing}, read once per node. Standard OpenTelemetry environment
 * variables fill in what the configuration leaves open: {@code OTEL_TRACES_EXPORTER}, {@code
 * OTEL_SERVICE_NAME} and {@code OTEL_TRACES_SAMPLER_ARG} through reference.conf substitutions (a
 * value set in the node's own configuration file wins over them), and the endpoint variables
 * ({@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}, {@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code
 * OTEL_EXPORTER_ZIPKIN_ENDPOINT}) here when {@code endpoint} is empty. {@code
 * OTEL_SDK_DISABLED=true} turns tracing off whatever the configuration says.
 *
 * @param exporter where spans go: {@link Exporter#NONE} turns tracing off entirely
 * @param endpoint the exporter's URL (OTLP/HTTP traces endpoint, or Zipkin's /api/v2/spans)
 * @param samplerRatio fraction of new traces recorded, 0 to 1; a request arriving with a sampled or
 *     unsampled parent follows its parent's decision
 * @param serviceName the {@code service.name} every span is reported under
 * @param otlpHeaders extra headers for the OTLP exporter ({@code OTEL_EXPORTER_OTLP_HEADERS})
 */
public record TracingSettings(
    Exporter exporter,
    String endpoint,
    double samplerRatio,
    String serviceName,
    Map<String, String> otlpHeaders) {

  /** The span exporters Cohort can be configured with. */
  public enum Exporter {
    NONE,
    OTLP,
    ZIPKIN
  }

  static final String DEFAULT_OTLP_ENDPOINT = "http://localhost:4318/v1/traces";
  static final String DEFAULT_ZIPKIN_ENDPOINT = "http://localhost:9411/api/v2/spans";

  public TracingSettings {
    if (samplerRatio < 0 || samplerRatio > 1 || Double.isNaN(samplerRatio)) {
      throw new IllegalArgumentException(
          "cohort.observability.tracing.sampler-ratio must be between 0 and 1, got "
              + samplerRatio);
    }
    otlpHeaders = Map.copyOf(otlpHeaders);
  }

  /**
   * Reads {@code cohort.observability.tracing} from {@code config}, with the process environment.
   */
  public static TracingSettings create(Config config) {
    return create(config, System.getenv());
  }

  static TracingSettings create(Config config, Map<String, String> env) {
    Config c = config.getConfig("cohort.observability.tracing");
    Exporter exporter = parseExporter(c.getString("exporter"));
    if ("true".equalsIgnoreCase(env.getOrDefault("OTEL_SDK_DISABLED", "false"))) {
      exporter = Exporter.NONE;
    }
    String endpoint = c.getString("endpoint").trim();
    if (endpoint.isEmpty()) {
      endpoint = defaultEndpoint(exporter, env);
    }
    return new TracingSettings(
        exporter,
        endpoint,
        c.getDouble("sampler-ratio"),
        c.getString("service-name"),
        parseHeaders(
            env.getOrDefault(
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                env.getOrDefault("OTEL_EXPORTER_OTLP_HEADERS", ""))));
  }

  private static Exporter parseExporter(String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "none", "" -> Exporter.NONE;
      case "otlp" -> Exporter.OTLP;
      case "zipkin" -> Exporter.ZIPKIN;
      default ->
          throw new IllegalArgumentException(
              "cohort.observability.tracing.exporter must be none, otlp or zipkin, got '"
                  + value
                  + "'");
    };
  }

  private static String defaultEndpoint(Exporter exporter, Map<String, String> env) {
    return switch (exporter) {
      case NONE -> "";
      case ZIPKIN -> env.getOrDefault("OTEL_EXPORTER_ZIPKIN_ENDPOINT", DEFAULT_ZIPKIN_ENDPOINT);
      case OTLP -> {
        String traces = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        if (traces != null && !traces.isBlank()) {
          yield traces;
        }
        String base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT");
        yield base == null || base.isBlank()
            ? DEFAULT_OTLP_ENDPOINT
            : base.replaceAll("/+$", "") + "/v1/traces";
      }
    };
  }

  /** OpenTelemetry's header list: {@code key1=value1,key2=value2}. */
  private static Map<String, String> parseHeaders(String list) {
    Map<String, String> headers = new java.util.LinkedHashMap<>();
    for (String pair : list.split(",")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        headers.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
      }
    }
    return headers;
  }
}
