package dev.cohort.etcd.internal;

import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberListResponse;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * etcd's {@code Cluster} service: MemberList names the Pekko cluster's Up (and Weakly Up) members.
 * A member's id is derived from its Pekko address (stable across restarts); its peer URL is that
 * address; its client URL is its host with this node's etcd port (every node is expected to use the
 * same {@code cohort.etcd.port}; this node's own entry carries the port it is bound to). Member
 * add, remove, update and promote answer UNIMPLEMENTED: membership is Pekko's (seed nodes,
 * downing). Stateless; thread-safe.
 */
public final class EtcdClusterService extends ClusterGrpc.ClusterImplBase {
  private final EtcdStore store;

  public EtcdClusterService(EtcdStore store) {
    this.store = store;
  }

  @Override
  public void memberList(MemberListRequest request, StreamObserver<MemberListResponse> observer) {
    Async.answer(
        observer,
        () -> {
          Cluster cluster = Cluster.get(store.system());
          Address self = cluster.selfMember().address();
          MemberListResponse.Builder b = MemberListResponse.newBuilder().setHeader(store.header());
          for (org.apache.pekko.cluster.Member m : cluster.state().getMembers()) {
            if (m.status() != MemberStatus.up() && m.status() != MemberStatus.weaklyUp()) {
              continue;
            }
            Address a = m.address();
            String host = a.getHost().orElse("127.0.0.1");
            int port = a.equals(self) ? store.boundPort() : Math.max(store.settings().port(), 0);
            b.addMembers(
                Member.newBuilder()
                    .setID(EtcdStore.memberIdOf(a.toString()))
                    .setName(host + ":" + a.getPort().orElse(0))
                    .addPeerURLs(a.toString())
                    .addClientURLs("http://" + host + ":" + port));
          }
          return CompletableFuture.completedFuture(b.build());
        });
  }
}
