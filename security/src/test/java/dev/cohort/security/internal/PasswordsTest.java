package dev.cohort.security.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Salted PBKDF2 hashes, token digests and the failed-attempt window. */
class PasswordsTest {

  @Test
  void hashesAreSaltedAndVerify() {
    String a = Passwords.hash("correct horse", 1000);
    String b = Passwords.hash("correct horse", 1000);
    assertNotEquals(a, b, "a fresh salt each time");
    assertFalse(a.contains("correct horse"));
    assertTrue(a.startsWith("pbkdf2-sha256$1000$"), a);
    assertTrue(Passwords.verify("correct horse", a));
    assertFalse(Passwords.verify("correct hors", a));
    assertFalse(Passwords.verify("correct horse", "md5$x"));
  }

  @Test
  void tokensAreRandomAndStoredAsDigests() {
    String token = Passwords.newToken();
    assertNotEquals(token, Passwords.newToken());
    assertEquals(Passwords.tokenDigest(token), Passwords.tokenDigest(token));
    assertFalse(Passwords.tokenDigest(token).contains(token));
  }

  @Test
  void failedAttemptsBlockWithinTheWindowOnly() {
    AtomicLong now = new AtomicLong();
    FailedAttempts attempts = new FailedAttempts(3, Duration.ofSeconds(60), now::get);
    for (int i = 0; i < 3; i++) {
      assertFalse(attempts.blocked("user:a"));
      attempts.failed("user:a");
    }
    assertTrue(attempts.blocked("user:a"));
    assertFalse(attempts.blocked("user:b"));
    now.addAndGet(Duration.ofSeconds(61).toNanos());
    assertFalse(attempts.blocked("user:a"), "the window passed");
    attempts.failed("user:a");
    attempts.succeeded("user:a");
    assertFalse(attempts.blocked("user:a"));
  }
}
