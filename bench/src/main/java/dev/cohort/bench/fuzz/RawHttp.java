package dev.cohort.bench.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * HTTP/1.1 over a raw socket, one connection per request, so that a request can carry bytes no HTTP
 * client library would send: invalid UTF-8 and NUL in the request line, oversized or broken
 * headers, a body that arrives a few bytes at a time. The answer is read by its Content-Length or
 * chunks; a streamed answer (server-sent events, endless chunks) is read up to its head only.
 */
final class RawHttp {
  private static final int MAX_BODY = 1 << 20;

  private final InetSocketAddress address;
  private final int readTimeoutMs;

  RawHttp(InetSocketAddress address, int readTimeoutMs) {
    this.address = address;
    this.readTimeoutMs = readTimeoutMs;
  }

  /**
   * The answer's status, content type and body; {@code stream}: a 2xx whose body is a stream
   * (server-sent events, or chunks with no end such as etcd's watch), read up to its head only.
   */
  record Answer(int status, String contentType, String body, boolean stream) {}

  /**
   * Sends {@code head} (request line and headers, CRLF-terminated) and {@code body}; a positive
   * {@code dribbleBytes} sends the body that many bytes at a time with {@code pauseMs} between.
   *
   * @throws IOException when the connection closes or times out before a complete answer
   */
  Answer exchange(byte[] head, byte[] body, int dribbleBytes, long pauseMs) throws IOException {
    return exchange(head, body, dribbleBytes, pauseMs, false);
  }

  /** As above; {@code headOnly} for a HEAD request, whose answer has no body to read. */
  Answer exchange(byte[] head, byte[] body, int dribbleBytes, long pauseMs, boolean headOnly)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.connect(address, 5_000);
      socket.setSoTimeout(readTimeoutMs);
      OutputStream out = socket.getOutputStream();
      out.write(head);
      out.flush();
      try {
        writeBody(out, body, dribbleBytes, pauseMs);
      } catch (IOException e) {
        // The server may answer (413, 400) and close before the whole body was sent: read it.
      }
      return read(socket.getInputStream(), headOnly);
    }
  }

  private static void writeBody(OutputStream out, byte[] body, int dribbleBytes, long pauseMs)
      throws IOException {
    if (dribbleBytes <= 0) {
      out.write(body);
      out.flush();
      return;
    }
    for (int at = 0; at < body.length; at += dribbleBytes) {
      out.write(body, at, Math.min(dribbleBytes, body.length - at));
      out.flush();
      LockSupport.parkNanos(pauseMs * 1_000_000L);
    }
  }

  private static Answer read(InputStream in, boolean headOnly) throws IOException {
    String statusLine = line(in);
    if (statusLine == null) {
      throw new IOException("connection closed without an answer");
    }
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP status line: " + statusLine);
    }
    int status = Integer.parseInt(parts[1]);
    long length = -1;
    boolean chunked = false;
    String contentType = "";
    for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
      int colon = header.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = header.substring(colon + 1).trim();
      switch (name) {
        case "content-length" -> length = Long.parseLong(value);
        case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
        case "content-type" -> contentType = value;
        default -> {}
      }
    }
    boolean stream = status / 100 == 2 && (contentType.startsWith("text/event-stream") || chunked);
    if (headOnly || stream) {
      return new Answer(status, contentType, "", stream);
    }
    byte[] body;
    if (chunked) {
      body = chunks(in);
    } else if (length >= 0) {
      body = in.readNBytes((int) Math.min(length, MAX_BODY));
    } else {
      body = untilClose(in);
    }
    return new Answer(status, contentType, new String(body, StandardCharsets.UTF_8), false);
  }

  private static byte[] chunks(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String size = line(in);
      if (size == null) {
        throw new IOException("connection closed inside a chunked answer");
      }
      int semicolon = size.indexOf(';');
      int n = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
      if (n == 0) {
        line(in);
        return body.toByteArray();
      }
      body.write(in.readNBytes(n));
      line(in);
      if (body.size() > MAX_BODY) {
        return body.toByteArray();
      }
    }
  }

  private static byte[] untilClose(InputStream in) throws IOException {
    try {
      return in.readNBytes(MAX_BODY);
    } catch (SocketTimeoutException e) {
      return new byte[0];
    }
  }

  /** One CRLF-terminated line as ISO-8859-1, or null at the end of the stream. */
  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0) {
      if (b == '\n') {
        int end = line.length();
        return end > 0 && line.charAt(end - 1) == '\r'
            ? line.substring(0, end - 1)
            : line.toString();
      }
      line.append((char) b);
    }
    return line.isEmpty() ? null : line.toString();
  }
}
