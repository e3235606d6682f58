package dev.cohort.bench.chaos;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.util.List;

/**
 * How the stream-log workload's producers put a batch on the wire: the plain produce ({@link
 * Plain}, where a retried batch may be written twice) or the idempotent one with Kafka's producer
 * id, epoch and base sequence ({@link Idempotent}, stream-log README "Idempotent producing over
 * HTTP"), where a retry of the same batch is answered with its first offsets.
 */
public sealed interface ProduceProtocol permits ProduceProtocol.Plain, ProduceProtocol.Idempotent {
  /**
   * One producer batch: every record goes to {@code partition}; the first one has {@code
   * baseSequence}.
   */
  record Batch(int partition, long baseSequence, List<String> values) {}

  /** A producer's identity in the idempotent protocol (none for the plain one). */
  record Identity(long producerId, int producerEpoch) {}

  boolean idempotent();

  /**
   * Gets a producer identity: at start and after the partition fenced or forgot the producer.
   * Returns the reply; {@code identity} reads the answer.
   */
  Reply init(Gateways g, URI node);

  Identity identity(Reply initReply);

  /** The request body for {@code batch}, sent with {@code acks=all}. */
  ObjectNode body(Batch batch, Identity identity);

  /** Whether an answer means the producer must get a new identity (epoch) before retrying. */
  boolean fenced(Reply reply);

  static String path(String topic) {
    return "/v1/topics/" + topic + "/records";
  }

  /** Today's {@code POST /v1/topics/{t}/records}: a retried batch may be written twice. */
  record Plain() implements ProduceProtocol {
    @Override
    public boolean idempotent() {
      return false;
    }

    @Override
    public Reply init(Gateways g, URI node) {
      return new Reply(200, ChaosHttp.object(), null, null);
    }

    @Override
    public Identity identity(Reply initReply) {
      return new Identity(-1, -1);
    }

    @Override
    public ObjectNode body(Batch batch, Identity identity) {
      ObjectNode body = ChaosHttp.object().put("acks", "all");
      var records = body.putArray("records");
      batch
          .values()
          .forEach(v -> records.addObject().put("partition", batch.partition()).put("value", v));
      return body;
    }

    @Override
    public boolean fenced(Reply reply) {
      return false;
    }
  }

  /**
   * Kafka's idempotent producer over HTTP (stream-log README): {@code POST /v1/producers} answers
   * {@code {"producerId":…, "producerEpoch":…}}; a produce to one {@code partition} carries {@code
   * producerId}, {@code producerEpoch} and the batch's {@code baseSequence} (per partition,
   * counting records from 0 in each epoch). A retried batch keeps its sequence, so the partition
   * answers a duplicate with the original offsets instead of appending it again.
   */
  record Idempotent() implements ProduceProtocol {
    static final String INIT_PATH = "/v1/producers";

    @Override
    public boolean idempotent() {
      return true;
    }

    @Override
    public Reply init(Gateways g, URI node) {
      return ChaosHttp.post(g, node, INIT_PATH, ChaosHttp.object());
    }

    @Override
    public Identity identity(Reply initReply) {
      return new Identity(
          initReply.body().path("producerId").asLong(),
          initReply.body().path("producerEpoch").asInt());
    }

    @Override
    public ObjectNode body(Batch batch, Identity identity) {
      ObjectNode body = new Plain().body(batch, identity);
      body.put("partition", batch.partition())
          .put("producerId", identity.producerId())
          .put("producerEpoch", identity.producerEpoch())
          .put("baseSequence", batch.baseSequence());
      return body;
    }

    @Override
    public boolean fenced(Reply reply) {
      return reply.status() == 409
          && ("invalid_producer_epoch".equals(reply.code())
              || "unknown_producer_id".equals(reply.code())
              || "out_of_order_sequence".equals(reply.code()));
    }
  }
}
