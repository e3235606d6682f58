package dev.cohort.platform.internal.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cohort produce TOPIC}: one record per stdin line, sent in batches with {@code acks=all};
 * with {@code --key-separator}, the text before the first separator is the key.
 */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description = "Produce stdin lines as records.")
public final class ProduceCommand extends ClientCommand implements Runnable {
  private static final int BATCH = 500;

  @Parameters(index = "0", description = "the topic to produce to")
  String topic;

  @Option(
      names = "--key-separator",
      description = "split each line into key and value at this text")
  String keySeparator;

  @Override
  public void run() {
    long sent = 0;
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      List<Map<String, Object>> batch = new ArrayList<>();
      String line;
      while ((line = in.readLine()) != null) {
        batch.add(record(line));
        if (batch.size() == BATCH) {
          sent += RecordBatches.send(this, topic, batch);
        }
      }
      sent += RecordBatches.send(this, topic, batch);
    } catch (IOException e) {
      throw new CliException("cannot read stdin: " + e.getMessage());
    }
    System.err.println(sent + " records produced to " + topic);
  }

  private Map<String, Object> record(String line) {
    Map<String, Object> record = new LinkedHashMap<>();
    int at = keySeparator == null ? -1 : line.indexOf(keySeparator);
    if (at >= 0) {
      record.put("key", line.substring(0, at));
      record.put("value", line.substring(at + keySeparator.length()));
    } else {
      record.put("value", line);
    }
    return record;
  }
}
