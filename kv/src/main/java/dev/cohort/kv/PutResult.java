package dev.cohort.kv;

import dev.cohort.persistence.CohortSerializable;
import java.util.Optional;

/** The answer to a put: where it landed and, on request, the value it replaced. */
public record PutResult(Header header, Optional<KeyValue> prevKv) implements CohortSerializable {}
