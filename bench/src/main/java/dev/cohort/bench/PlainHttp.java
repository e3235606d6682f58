package dev.cohort.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocketFactory;

/**
 * A load generator's HTTP/1.1 client: one blocking keep-alive connection per calling thread, a
 * request written in one piece, the reply read by its Content-Length (or chunks). It does what
 * {@code wrk} or a grpc-java stub does per request and nothing more, so that the client's CPU,
 * which shares the machine with the node under test, stays small; the JDK's HttpClient spends
 * several times the node's own CPU per request on futures and selector hand-offs.
 *
 * <p>Loopback benchmarks only: no redirects, no proxies; TLS through an {@link SSLSocketFactory}
 * when given one (no host name check).
 */
final class PlainHttp {
  private final InetSocketAddress address;
  private final String hostHeader;
  private final SocketFactory sockets;
  private final ThreadLocal<Connection> connections = new ThreadLocal<>();

  PlainHttp(String host, int port) {
    this(host, port, SocketFactory.getDefault());
  }

  PlainHttp(String host, int port, SocketFactory sockets) {
    this(new InetSocketAddress(host, port), host + ":" + port, sockets);
  }

  private PlainHttp(InetSocketAddress address, String hostHeader, SocketFactory sockets) {
    this.address = address;
    this.hostHeader = hostHeader;
    this.sockets = sockets;
  }

  /** A client whose requests carry {@code Authorization: Bearer token} (own connections). */
  PlainHttp withBearer(String token) {
    return new PlainHttp(address, hostHeader + "\r\nAuthorization: Bearer " + token, sockets);
  }

  /** Closes the calling thread's connection; its next request opens (and handshakes) a new one. */
  void disconnect() throws IOException {
    Connection connection = connections.get();
    if (connection != null) {
      connections.remove();
      connection.socket.close();
    }
  }

  /** Sends a request and returns the reply body; a reply outside 2xx throws with its body. */
  String send(String method, String path, String jsonBody) throws IOException {
    Connection connection = connections.get();
    if (connection == null) {
      connection = new Connection(sockets.createSocket());
      connection.socket.setTcpNoDelay(true);
      connection.socket.connect(address, 5_000);
      connection.socket.setSoTimeout(30_000);
      connections.set(connection);
    }
    try {
      return connection.exchange(method, path, hostHeader, jsonBody);
    } catch (IOException e) {
      connections.remove();
      connection.socket.close();
      throw e;
    }
  }

  private static final class Connection {
    private final Socket socket;
    private InputStream in;
    private OutputStream out;

    Connection(Socket socket) {
      this.socket = socket;
    }

    String exchange(String method, String path, String host, String jsonBody) throws IOException {
      if (in == null) {
        in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        out = socket.getOutputStream();
      }
      byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
      StringBuilder head = new StringBuilder(160 + path.length());
      head.append(method)
          .append(' ')
          .append(path)
          .append(" HTTP/1.1\r\nHost: ")
          .append(host)
          .append("\r\n");
      if (jsonBody != null) {
        head.append("Content-Type: application/json\r\nContent-Length: ")
            .append(body.length)
            .append("\r\n");
      }
      head.append("\r\n");
      byte[] headBytes = head.toString().getBytes(StandardCharsets.US_ASCII);
      byte[] request = new byte[headBytes.length + body.length];
      System.arraycopy(headBytes, 0, request, 0, headBytes.length);
      System.arraycopy(body, 0, request, headBytes.length, body.length);
      out.write(request);
      out.flush();
      return readResponse();
    }

    private String readResponse() throws IOException {
      String statusLine = readLine();
      int status = Integer.parseInt(statusLine.substring(9, 12));
      long contentLength = -1;
      boolean chunked = false;
      for (String line = readLine(); !line.isEmpty(); line = readLine()) {
        int colon = line.indexOf(':');
        String name = line.substring(0, colon).trim();
        String value = line.substring(colon + 1).trim();
        if (name.equalsIgnoreCase("Content-Length")) {
          contentLength = Long.parseLong(value);
        } else if (name.equalsIgnoreCase("Transfer-Encoding")
            && value.equalsIgnoreCase("chunked")) {
          chunked = true;
        }
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      if (chunked) {
        for (int size = Integer.parseInt(readLine().trim(), 16);
            size > 0;
            size = Integer.parseInt(readLine().trim(), 16)) {
          body.write(in.readNBytes(size));
          readLine();
        }
        readLine();
      } else if (contentLength >= 0) {
        body.write(in.readNBytes((int) contentLength));
      } else {
        throw new IOException("reply without Content-Length or chunked encoding: " + statusLine);
      }
      String text = body.toString(StandardCharsets.UTF_8);
      if (status / 100 != 2) {
        throw new IOException(status + " " + text);
      }
      return text;
    }

    private String readLine() throws IOException {
      StringBuilder line = new StringBuilder(64);
      for (int b = in.read(); b != '\n'; b = in.read()) {
        if (b < 0) {
          throw new IOException("connection closed by the server");
        }
        if (b != '\r') {
          line.append((char) b);
        }
      }
      return line.toString();
    }
  }
}
