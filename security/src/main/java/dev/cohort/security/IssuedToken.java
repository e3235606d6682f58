package dev.cohort.security;

/**
 * A bearer token just issued. The token text exists only here and in the caller's hands: the
 * cluster stores its SHA-256 digest, so neither the journal nor a log holds a usable token.
 *
 * @param token the opaque token to send as {@code Authorization: Bearer <token>}
 * @param user the user it authenticates
 * @param expiresAtMillis when it stops working (epoch milliseconds)
 */
public record IssuedToken(String token, String user, long expiresAtMillis) {
  @Override
  public String toString() {
    return "IssuedToken[user=" + user + ", expiresAtMillis=" + expiresAtMillis + "]";
  }
}
