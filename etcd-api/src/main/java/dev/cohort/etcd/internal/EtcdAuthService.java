package dev.cohort.etcd.internal;

import dev.cohort.security.Audit;
import dev.cohort.security.Security;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.AuthenticateResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Optional;

/**
 * etcd's {@code Auth} service: {@code Authenticate} exchanges a Cohort user's name and password for
 * a token (the same tokens as {@code POST /v1/auth/tokens}, default lifetime), rate limited per
 * user and address, refused with etcd's own message without saying whether the user exists.
 * Managing users and roles through etcd's Auth RPCs answers UNIMPLEMENTED: use {@code ./cohort
 * auth} or {@code /v1/auth}. Thread-safe.
 */
public final class EtcdAuthService extends AuthGrpc.AuthImplBase {
  private static final String LISTENER = "etcd";

  private final EtcdStore store;
  private final Security security;
  private final Audit audit;

  public EtcdAuthService(EtcdStore store, Security security, Audit audit) {
    this.store = store;
    this.security = security;
    this.audit = audit;
  }

  @Override
  public void authenticate(
      AuthenticateRequest request, StreamObserver<AuthenticateResponse> observer) {
    String source = Optional.ofNullable(EtcdAuthInterceptor.SOURCE.get()).orElse("unknown");
    String user = request.getName();
    security
        .issueToken(user, request.getPassword(), Optional.empty(), source)
        .whenComplete(
            (issued, failure) -> {
              if (failure == null) {
                audit.authenticated(user, source, LISTENER);
                observer.onNext(
                    AuthenticateResponse.newBuilder()
                        .setHeader(store.header())
                        .setToken(issued.token())
                        .build());
                observer.onCompleted();
                return;
              }
              boolean limited =
                  audit.passwordRefused(failure, user, source, LISTENER, "Auth/Authenticate");
              observer.onError(
                  limited
                      ? Status.RESOURCE_EXHAUSTED
                          .withDescription("cohort: too many failed attempts; try again later")
                          .asRuntimeException()
                      : Status.INVALID_ARGUMENT
                          .withDescription(
                              "etcdserver: authentication failed, invalid user ID or password")
                          .asRuntimeException());
            });
  }
}
