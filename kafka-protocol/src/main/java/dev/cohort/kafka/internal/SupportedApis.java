package dev.cohort.kafka.internal;

import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

/**
 * The APIs and versions this listener serves, and so advertises in ApiVersions. Each range starts
 * at the oldest version kafka-clients can parse; it ends before the version that replaced topic
 * names with topic ids (Produce 13, Fetch 13, OffsetCommit/OffsetFetch 10, Metadata 13), so every
 * request names its topics. APIs not listed (transactions, ACLs, quotas, KIP-848 and share groups,
 * DeleteRecords, …) are absent from ApiVersions and answered UNSUPPORTED_VERSION.
 */
final class SupportedApis {
  private static final Map<ApiKeys, Short> MAX_VERSIONS = maxVersions();

  private SupportedApis() {}

  private static Map<ApiKeys, Short> maxVersions() {
    Map<ApiKeys, Short> m = new TreeMap<>();
    m.put(ApiKeys.API_VERSIONS, (short) 4);
    m.put(ApiKeys.METADATA, (short) 12);
    m.put(ApiKeys.PRODUCE, (short) 12);
    m.put(ApiKeys.FETCH, (short) 12);
    m.put(ApiKeys.LIST_OFFSETS, (short) 10);
    m.put(ApiKeys.INIT_PRODUCER_ID, (short) 5);
    m.put(ApiKeys.FIND_COORDINATOR, (short) 6);
    m.put(ApiKeys.JOIN_GROUP, (short) 9);
    m.put(ApiKeys.SYNC_GROUP, (short) 5);
    m.put(ApiKeys.HEARTBEAT, (short) 4);
    m.put(ApiKeys.LEAVE_GROUP, (short) 5);
    m.put(ApiKeys.OFFSET_COMMIT, (short) 9);
    m.put(ApiKeys.OFFSET_FETCH, (short) 9);
    m.put(ApiKeys.DESCRIBE_GROUPS, (short) 5);
    m.put(ApiKeys.LIST_GROUPS, (short) 5);
    m.put(ApiKeys.DELETE_GROUPS, (short) 2);
    m.put(ApiKeys.OFFSET_DELETE, (short) 0);
    m.put(ApiKeys.CREATE_TOPICS, (short) 7);
    m.put(ApiKeys.DELETE_TOPICS, (short) 6);
    m.put(ApiKeys.CREATE_PARTITIONS, (short) 3);
    m.put(ApiKeys.DESCRIBE_CONFIGS, (short) 4);
    m.put(ApiKeys.INCREMENTAL_ALTER_CONFIGS, (short) 1);
    m.put(ApiKeys.DESCRIBE_CLUSTER, (short) 1);
    // SASL: handshake v1 wraps the mechanism's bytes in SaslAuthenticate (no raw v0 tokens).
    m.put(ApiKeys.SASL_HANDSHAKE, (short) 1);
    m.put(ApiKeys.SASL_AUTHENTICATE, (short) 2);
    return Map.copyOf(m);
  }

  static boolean supports(ApiKeys key, short version) {
    Short max = MAX_VERSIONS.get(key);
    return max != null && version >= key.oldestVersion() && version <= max;
  }

  /** The ApiVersions answer: every supported API with its range, and {@code error}. */
  static ApiVersionsResponseData apiVersions(Errors error) {
    ApiVersionCollection keys = new ApiVersionCollection();
    new TreeMap<>(MAX_VERSIONS)
        .forEach(
            (key, max) ->
                keys.add(
                    new ApiVersion()
                        .setApiKey(key.id)
                        .setMinVersion(key.oldestVersion())
                        .setMaxVersion(max)));
    return new ApiVersionsResponseData().setErrorCode(error.code()).setApiKeys(keys);
  }
}
