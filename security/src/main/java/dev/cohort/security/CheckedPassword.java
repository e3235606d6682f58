package dev.cohort.security;

/**
 * A password a listener's own handshake checked (Kafka's SASL/PLAIN): the user, and a stamp of the
 * stored password hash it matched, so that later requests on the same connection can tell that the
 * user was deleted or its password changed since ({@link Security#decideForSession}). The stamp is
 * a digest of the salted hash, never the password, and is never printed.
 *
 * @param user the authenticated user
 * @param stamp a digest of the stored password hash the password matched
 */
public record CheckedPassword(String user, String stamp) {
  @Override
  public String toString() {
    return "CheckedPassword[user=" + user + "]";
  }
}
