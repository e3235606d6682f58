package dev.cohort.cluster;

import dev.cohort.persistence.ErrorCode;
import dev.cohort.persistence.ErrorKind;

/** The errors of cluster management ({@code /v1/cluster/members/…}), declared once. */
public enum ClusterError implements ErrorCode {
  /** No member of the cluster, as this node sees it, has the address. */
  MEMBER_NOT_FOUND(ErrorKind.NOT_FOUND),
  /** The operation is neither {@code leave} nor {@code down}. */
  UNKNOWN_OPERATION(ErrorKind.INVALID);

  private final ErrorKind kind;

  ClusterError(ErrorKind kind) {
    this.kind = kind;
  }

  @Override
  public ErrorKind kind() {
    return kind;
  }
}
