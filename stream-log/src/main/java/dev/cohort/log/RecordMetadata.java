package dev.cohort.log;

/** Where an acknowledged record was written. {@code offset} is -1 when sent with {@code acks=0}. */
public record RecordMetadata(String topic, int partition, long offset, long timestamp) {}
