package dev.cohort.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

/** What ApiVersions advertises: every served API, nothing for transactions or ACLs, names only. */
class SupportedApisTest {

  @Test
  void advertisesTheServedApisAndNoTransactionsAclsOrTopicIdVersions() {
    ApiVersionsResponseData answer = SupportedApis.apiVersions(Errors.NONE);
    Set<ApiKeys> keys =
        answer.apiKeys().stream().map(v -> ApiKeys.forId(v.apiKey())).collect(Collectors.toSet());
    assertTrue(
        keys.containsAll(
            Set.of(
                ApiKeys.PRODUCE,
                ApiKeys.FETCH,
                ApiKeys.JOIN_GROUP,
                ApiKeys.INIT_PRODUCER_ID,
                ApiKeys.CREATE_TOPICS,
                ApiKeys.INCREMENTAL_ALTER_CONFIGS)));
    for (ApiKeys absent :
        Set.of(
            ApiKeys.ADD_PARTITIONS_TO_TXN,
            ApiKeys.END_TXN,
            ApiKeys.TXN_OFFSET_COMMIT,
            ApiKeys.CREATE_ACLS,
            ApiKeys.DESCRIBE_CLIENT_QUOTAS,
            ApiKeys.CONSUMER_GROUP_HEARTBEAT)) {
      assertFalse(keys.contains(absent), absent + " must not be advertised");
    }
    assertEquals(12, answer.apiKeys().find(ApiKeys.PRODUCE.id).maxVersion());
    assertEquals(12, answer.apiKeys().find(ApiKeys.FETCH.id).maxVersion());
    assertFalse(SupportedApis.supports(ApiKeys.FETCH, (short) 13), "topic-id versions");
    assertTrue(SupportedApis.supports(ApiKeys.FETCH, ApiKeys.FETCH.oldestVersion()));
    assertFalse(SupportedApis.supports(ApiKeys.END_TXN, ApiKeys.END_TXN.latestVersion()));
  }
}
