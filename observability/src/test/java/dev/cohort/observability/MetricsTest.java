package dev.cohort.observability;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.core.metrics.Counter;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class MetricsTest {
  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void scrapeHasJvmSeriesAndBuildInfo() {
    String text = Metrics.get(testKit.system()).scrape();
    assertTrue(text.contains("\njvm_memory_used_bytes{"), "jvm series missing");
    assertTrue(text.contains("cohort_build_info{java_version="), "build info missing:\n" + text);
  }

  @Test
  void sameNameGivesSameMetricAndCountsShow() {
    Metrics metrics = Metrics.get(testKit.system());
    Counter first = metrics.counter("cohort_test_things", "things", "kind");
    Counter second = metrics.counter("cohort_test_things", "things", "kind");
    assertSame(first, second);
    first.labelValues("a").inc(3);
    assertTrue(metrics.scrape().contains("cohort_test_things_total{kind=\"a\"} 3.0"));
  }

  @Test
  void nameClashAcrossTypesIsRefused() {
    Metrics metrics = Metrics.get(testKit.system());
    metrics.counter("cohort_test_clash", "clash");
    assertThrows(
        IllegalStateException.class, () -> metrics.histogram("cohort_test_clash", "clash"));
  }

  @Test
  void gaugeReadsItsCallbackAtScrapeTime() {
    Metrics metrics = Metrics.get(testKit.system());
    int[] members = {2};
    metrics.gauge("cohort_test_members", "members", sink -> sink.set(members[0], "up"), "status");
    assertTrue(metrics.scrape().contains("cohort_test_members{status=\"up\"} 2.0"));
    members[0] = 5;
    assertTrue(metrics.scrape().contains("cohort_test_members{status=\"up\"} 5.0"));
  }
}
