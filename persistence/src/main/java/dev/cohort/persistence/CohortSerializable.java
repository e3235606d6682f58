package dev.cohort.persistence;

/**
 * Marks every type that crosses the wire or reaches the journal: commands, replies, events, entity
 * state and snapshots. Pekko binds this interface to Cohort's Kryo serializer; Java serialization
 * is off, so a message without the marker fails loudly instead of travelling in an unversioned
 * format.
 *
 * <p>Every concrete implementation must also be registered with a fixed id in its module's {@link
 * KryoRegistrations}. Records are written field-compatibly: a field added later reads as its
 * default (null, zero, false, or an empty collection or Optional) from older bytes, and a field
 * removed later is skipped. Renaming a record component or changing its type is not compatible.
 * Enums are written by ordinal: add constants only at the end.
 */
public interface CohortSerializable {}
