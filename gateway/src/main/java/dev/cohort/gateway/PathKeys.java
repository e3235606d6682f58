package dev.cohort.gateway;

import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorKind;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Keys taken from the rest of a URL path and values that travel as JSON text or base64. A key in a
 * path is percent-decoded as UTF-8 ({@code +} stays a plus: it is a path, not a form); a value is
 * shown as {@code value} when it is valid UTF-8 and as {@code valueBase64} otherwise.
 */
public final class PathKeys {
  private PathKeys() {}

  /** Percent-decodes a raw path remainder; a malformed escape is a 400 naming it. */
  public static String decode(String raw) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          throw badEscape(raw);
        }
        int high = Character.digit(raw.charAt(i + 1), 16);
        int low = Character.digit(raw.charAt(i + 2), 16);
        if (high < 0 || low < 0) {
          throw badEscape(raw);
        }
        bytes.write(high * 16 + low);
        i += 2;
      } else {
        byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(encoded, 0, encoded.length);
      }
    }
    return new String(bytes.toByteArray(), StandardCharsets.UTF_8);
  }

  private static CohortException badEscape(String raw) {
    return new CohortException(
        ErrorKind.INVALID, "invalid_key", "malformed percent-escape in path '" + raw + "'");
  }

  /** The text when {@code value} is valid UTF-8, else empty. */
  public static java.util.Optional<String> utf8(byte[] value) {
    try {
      return java.util.Optional.of(
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(value))
              .toString());
    } catch (CharacterCodingException e) {
      return java.util.Optional.empty();
    }
  }

  public static String base64(byte[] value) {
    return Base64.getEncoder().encodeToString(value);
  }

  /** Decodes a {@code valueBase64} field, naming the field when it is not base64. */
  public static byte[] fromBase64(String field, String text) {
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw Json.invalid(field, "must be base64: " + e.getMessage());
    }
  }
}
