package dev.cohort.kv;

import dev.cohort.persistence.CohortSerializable;

/** The answer to a get of one key; a missing key fails with {@code key_not_found} instead. */
public record GetResult(Header header, KeyValue kv) implements CohortSerializable {}
