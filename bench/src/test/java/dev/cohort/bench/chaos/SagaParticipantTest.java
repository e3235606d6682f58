package dev.cohort.bench.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cohort.saga.SagaDefinition;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SagaParticipantTest {
  private final HttpClient http = HttpClient.newHttpClient();

  private int call(URI participant, String key, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(participant.resolve("/effect"))
            .timeout(Duration.ofSeconds(5))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      request.header("Idempotency-Key", key);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void appliesAnEffectOncePerIdempotencyKeyAndFailsWhenAsked() throws Exception {
    try (SagaParticipant participant = new SagaParticipant(0)) {
      String action =
          "{\"saga\":\"s1\",\"step\":\"reserve\",\"phase\":\"action\",\"fail\":\"false\"}";
      assertEquals(200, call(participant.uri(), "s1:reserve:action", action));
      assertEquals(200, call(participant.uri(), "s1:reserve:action", action));
      assertEquals(1, participant.effects().get("s1|reserve|action").applied());
      assertEquals(2, participant.effects().get("s1|reserve|action").calls());
      // A second key for the same step is a second effect: what the checker flags.
      assertEquals(200, call(participant.uri(), "other-key", action));
      assertEquals(2, participant.effects().get("s1|reserve|action").applied());

      String failing =
          "{\"saga\":\"s2\",\"step\":\"confirm\",\"phase\":\"action\",\"fail\":\"true\"}";
      assertEquals(422, call(participant.uri(), "s2:confirm:action", failing));
      assertEquals(0, participant.effects().get("s2|confirm|action").applied());
      call(participant.uri(), null, action.replace("s1", "s3"));
      assertEquals(1, participant.callsWithoutKey());
    }
  }

  @Test
  void theWorkloadsDefinitionIsAValidSagaDefinition() {
    String json = SagasWorkload.definition(URI.create("http://127.0.0.1:9999")).toString();
    SagaDefinition d = SagaDefinition.fromJson(SagasWorkload.DEFINITION, json);
    assertEquals(3, d.steps().size());
  }
}
