package dev.cohort.security.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Salted password hashes with the JDK's PBKDF2-HMAC-SHA256 ({@code SecretKeyFactory}
 * "PBKDF2WithHmacSHA256"). A hash is stored as {@code pbkdf2-sha256$<iterations>$<salt>$<hash>}
 * (base64 salt of 16 bytes, hash of 32 bytes), so that it keeps the iteration count it was made
 * with and the setting can rise later. Verification compares in constant time. Hashing is slow on
 * purpose: call it off actor threads. Thread-safe.
 */
public final class Passwords {
  private static final String SCHEME = "pbkdf2-sha256";
  private static final String ALGORITHM = "PBKDF2WithHmacSHA256";
  private static final int SALT_BYTES = 16;
  private static final int HASH_BITS = 256;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Passwords() {}

  /** A new salted hash of {@code password}. */
  public static String hash(String password, int iterations) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    byte[] hash = derive(password, salt, iterations);
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return SCHEME
        + "$"
        + iterations
        + "$"
        + b64.encodeToString(salt)
        + "$"
        + b64.encodeToString(hash);
  }

  /** Whether {@code password} matches {@code stored} (a value of {@link #hash}). */
  public static boolean verify(String password, String stored) {
    String[] parts = stored.split("\\$");
    if (parts.length != 4 || !SCHEME.equals(parts[0])) {
      return false;
    }
    Base64.Decoder b64 = Base64.getDecoder();
    byte[] expected = b64.decode(parts[3]);
    byte[] actual = derive(password, b64.decode(parts[2]), Integer.parseInt(parts[1]));
    return MessageDigest.isEqual(expected, actual);
  }

  private static byte[] derive(String password, byte[] salt, int iterations) {
    PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, HASH_BITS);
    try {
      return SecretKeyFactory.getInstance(ALGORITHM).generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks " + ALGORITHM, e);
    } finally {
      spec.clearPassword();
    }
  }

  /** The SHA-256 digest of {@code token}, base64: what the registry stores for a token. */
  public static String tokenDigest(String token) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().withoutPadding().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }

  /**
   * A session's stamp of a stored password hash (SHA-256 of it, base64): equal while the password
   * is unchanged (a new password gets a new salt, so even the same password gets a new stamp).
   */
  public static String stamp(String storedHash) {
    return tokenDigest(storedHash);
  }

  /** A new opaque token: 32 random bytes, base64url. */
  public static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
