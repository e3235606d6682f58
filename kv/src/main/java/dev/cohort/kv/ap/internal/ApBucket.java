package dev.cohort.kv.ap.internal;

import dev.cohort.persistence.CohortSerializable;
import java.util.TreeMap;

/**
 * One bucket of the Distributed Data version of AP keyspaces, as its durable files hold it: the
 * registers of the keys that hashed to the bucket. Kept only so that {@link ApLegacyImport} can
 * read those files (Kryo id 1701, field layout unchanged); nothing writes it any more.
 *
 * @param entries key to register
 * @param pending the entries that version had not yet replicated (ignored on import: they are also
 *     in {@code entries})
 */
public record ApBucket(TreeMap<String, ApEntry> entries, TreeMap<String, ApEntry> pending)
    implements CohortSerializable {}
