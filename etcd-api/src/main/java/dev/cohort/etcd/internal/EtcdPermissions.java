package dev.cohort.etcd.internal;

import com.google.protobuf.ByteString;
import dev.cohort.security.Access;
import dev.cohort.security.Resource;
import dev.cohort.security.ResourceType;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.WatchRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What an etcd call needs, in Cohort's roles, as etcd's role permissions on key ranges: the keys of
 * {@code cohort.etcd.keyspace} a call touches become a kv resource whose key is the range's common
 * prefix (every key in {@code [key, range_end)} starts with the common prefix of the two, or with
 * {@code key} itself when {@code range_end} is its prefix end; a single key is its own prefix;
 * {@code range_end} "\0" means every key from {@code key} on). Range and Watch need read; Put,
 * DeleteRange and Txn write (a Txn on every key it compares, reads or writes); Compact, maintenance
 * other than Status, and cluster membership changes admin; leases, MemberList and Status any
 * authenticated user; locks, elections and lease revocation write on every keyspace (the gateway's
 * rule). Pure functions of the request.
 */
final class EtcdPermissions {
  private EtcdPermissions() {}

  /** One access on some resources; no resources: any authenticated user. */
  record Need(Access access, List<Resource> resources) {
    static Need anyUser() {
      return new Need(Access.READ, List.of());
    }
  }

  /** Calls that need no credentials: the token exchange. */
  static boolean open(String service, String method) {
    return service.endsWith(".Auth") && method.equals("Authenticate");
  }

  /** The need of one request message of {@code service}/{@code method}. */
  static Need of(String keyspace, String service, String method, Object message) {
    if (service.endsWith(".KV")) {
      return switch (method) {
        case "Range" -> range(keyspace, Access.READ, (RangeRequest) message);
        case "Put" ->
            new Need(Access.WRITE, List.of(key(keyspace, ((PutRequest) message).getKey())));
        case "DeleteRange" ->
            new Need(
                Access.WRITE,
                List.of(
                    range(
                        keyspace,
                        ((DeleteRangeRequest) message).getKey(),
                        ((DeleteRangeRequest) message).getRangeEnd())));
        case "Txn" -> new Need(Access.WRITE, txn(keyspace, (TxnRequest) message));
        default -> new Need(Access.ADMIN, List.of(Resource.keyspace(keyspace)));
      };
    }
    if (service.endsWith(".Watch")) {
      WatchRequest watch = (WatchRequest) message;
      return watch.hasCreateRequest()
          ? new Need(
              Access.READ,
              List.of(
                  range(
                      keyspace,
                      watch.getCreateRequest().getKey(),
                      watch.getCreateRequest().getRangeEnd())))
          : Need.anyUser();
    }
    if (service.endsWith(".Lease")) {
      return method.equals("LeaseRevoke")
          ? new Need(Access.WRITE, List.of(Resource.all(ResourceType.KV)))
          : Need.anyUser();
    }
    if (service.endsWith(".Lock") || service.endsWith(".Election")) {
      return method.equals("Observe") || method.equals("Leader")
          ? new Need(Access.READ, List.of(Resource.all(ResourceType.KV)))
          : new Need(Access.WRITE, List.of(Resource.all(ResourceType.KV)));
    }
    if (method.equals("MemberList") || method.equals("Status")) {
      return Need.anyUser();
    }
    return new Need(Access.ADMIN, List.of(Resource.cluster()));
  }

  private static Need range(String keyspace, Access access, RangeRequest request) {
    return new Need(access, List.of(range(keyspace, request.getKey(), request.getRangeEnd())));
  }

  private static List<Resource> txn(String keyspace, TxnRequest txn) {
    List<Resource> touched = new ArrayList<>();
    for (Compare compare : txn.getCompareList()) {
      touched.add(range(keyspace, compare.getKey(), compare.getRangeEnd()));
    }
    for (RequestOp op : txn.getSuccessList()) {
      touched.addAll(op(keyspace, op));
    }
    for (RequestOp op : txn.getFailureList()) {
      touched.addAll(op(keyspace, op));
    }
    return touched;
  }

  private static List<Resource> op(String keyspace, RequestOp op) {
    return switch (op.getRequestCase()) {
      case REQUEST_RANGE ->
          List.of(
              range(keyspace, op.getRequestRange().getKey(), op.getRequestRange().getRangeEnd()));
      case REQUEST_PUT -> List.of(key(keyspace, op.getRequestPut().getKey()));
      case REQUEST_DELETE_RANGE ->
          List.of(
              range(
                  keyspace,
                  op.getRequestDeleteRange().getKey(),
                  op.getRequestDeleteRange().getRangeEnd()));
      case REQUEST_TXN -> txn(keyspace, op.getRequestTxn());
      default -> List.of();
    };
  }

  private static Resource key(String keyspace, ByteString key) {
    return Resource.kv(keyspace, key.toString(StandardCharsets.UTF_8));
  }

  /** etcd's range end of the prefix {@code key}: its last byte below 0xff plus one. */
  private static ByteString prefixEnd(ByteString key) {
    byte[] bytes = key.toByteArray();
    for (int i = bytes.length - 1; i >= 0; i--) {
      if (bytes[i] != (byte) 0xff) {
        bytes[i]++;
        return ByteString.copyFrom(bytes, 0, i + 1);
      }
    }
    return ByteString.copyFrom(new byte[] {0});
  }

  /** The keys of {@code [key, end)} as a prefix resource. */
  static Resource range(String keyspace, ByteString key, ByteString end) {
    if (end.isEmpty()) {
      return key(keyspace, key);
    }
    if (end.size() == 1 && end.byteAt(0) == 0) {
      return Resource.keyspace(keyspace);
    }
    if (end.equals(prefixEnd(key))) {
      return key(keyspace, key);
    }
    int common = 0;
    while (common < key.size() && common < end.size() && key.byteAt(common) == end.byteAt(common)) {
      common++;
    }
    return key(keyspace, key.substring(0, common));
  }
}
