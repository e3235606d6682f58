package dev.cohort.cluster.tls;

import java.nio.file.Path;

/** A certificate, key or CA file that is missing, unreadable or holds the wrong thing. */
public final class TlsFileException extends RuntimeException {
  public TlsFileException(Path file, String problem) {
    super(file + " " + problem);
  }
}
