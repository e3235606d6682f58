package dev.cohort.cluster.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Development certificates: a self-signed CA and the node and client certificates it issues, as PEM
 * files (ECDSA P-256 keys, PKCS#8). For tests and for trying TLS out; production clusters use their
 * own PKI. Node certificates serve both TLS sides (server and client authentication), as Artery's
 * mutual TLS and the gateway need.
 */
public final class DevCertificates {
  private static final Pattern IP = Pattern.compile("^[0-9.]+$|:");
  private static final SecureRandom RANDOM = new SecureRandom();

  private DevCertificates() {}

  /** A certificate with its private key. */
  public record Issued(X509Certificate certificate, PrivateKey key) {
    /** Writes the certificate and the key (readable by its owner only) as PEM files. */
    public void write(Path certFile, Path keyFile) {
      try {
        Files.writeString(certFile, pem("CERTIFICATE", certificate.getEncoded()));
        Files.deleteIfExists(keyFile);
        Files.createFile(
            keyFile,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot encode " + certFile, e);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** A self-signed CA certificate that may sign leaf certificates only. */
  public static Issued authority(String commonName, Duration validity) {
    KeyPair pair = newKeyPair();
    X500Principal subject = new X500Principal("CN=" + commonName + ",O=Cohort development");
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          builder(subject, subject, pair, validity)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  extensions.createSubjectKeyIdentifier(pair.getPublic()));
      return new Issued(sign(builder, pair.getPrivate()), pair.getPrivate());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build the CA certificate", e);
    }
  }

  /**
   * A node certificate for TLS servers and clients, valid for {@code hosts} (DNS names or IP
   * addresses, as subject alternative names).
   */
  public static Issued node(Issued ca, String commonName, List<String> hosts, Duration validity) {
    return leaf(ca, commonName, hosts, validity);
  }

  /**
   * A client certificate whose subject is {@code CN=commonName} (the gateway maps it to a user).
   */
  public static Issued client(Issued ca, String commonName, Duration validity) {
    return leaf(ca, commonName, List.of(), validity);
  }

  /**
   * Writes a development set into {@code dir}: {@code ca.crt}, {@code ca.key}, {@code
   * node-<i>.crt}/{@code .key} for i in 1..nodes (valid for localhost, 127.0.0.1 and {@code hosts})
   * and {@code client.crt}/{@code .key} for the user {@code clientName}.
   *
   * @return the files written
   * @throws IllegalStateException when {@code dir} already holds a {@code ca.crt}
   */
  public static List<Path> writeDevSet(
      Path dir, int nodes, List<String> hosts, String clientName, Duration validity) {
    if (nodes < 1) {
      throw new IllegalArgumentException("nodes must be at least 1, was " + nodes);
    }
    try {
      Files.createDirectories(dir);
      if (Files.exists(dir.resolve("ca.crt"))) {
        throw new IllegalStateException(
            dir.resolve("ca.crt") + " exists already: a development CA is never overwritten");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Path> written = new ArrayList<>();
    Issued ca = authority("Cohort development CA", validity);
    ca.write(dir.resolve("ca.crt"), dir.resolve("ca.key"));
    written.addAll(List.of(dir.resolve("ca.crt"), dir.resolve("ca.key")));
    LinkedHashSet<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1"));
    names.addAll(hosts);
    for (int i = 1; i <= nodes; i++) {
      Path cert = dir.resolve("node-" + i + ".crt");
      Path key = dir.resolve("node-" + i + ".key");
      node(ca, "cohort-node-" + i, List.copyOf(names), validity).write(cert, key);
      written.addAll(List.of(cert, key));
    }
    client(ca, clientName, validity).write(dir.resolve("client.crt"), dir.resolve("client.key"));
    written.addAll(List.of(dir.resolve("client.crt"), dir.resolve("client.key")));
    return written;
  }

  private static Issued leaf(Issued ca, String commonName, List<String> hosts, Duration validity) {
    KeyPair pair = newKeyPair();
    X500Principal subject = new X500Principal("CN=" + commonName + ",O=Cohort development");
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          builder(ca.certificate().getSubjectX500Principal(), subject, pair, validity)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(
                      hosts.isEmpty()
                          ? new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth}
                          : new KeyPurposeId[] {
                            KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                          }))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  extensions.createAuthorityKeyIdentifier(ca.certificate()));
      if (!hosts.isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, false, alternativeNames(hosts));
      }
      return new Issued(sign(builder, ca.key()), pair.getPrivate());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build the certificate of " + commonName, e);
    }
  }

  private static GeneralNames alternativeNames(List<String> hosts) {
    GeneralName[] names = new GeneralName[hosts.size()];
    for (int i = 0; i < hosts.size(); i++) {
      String host = hosts.get(i);
      names[i] =
          IP.matcher(host).find()
              ? new GeneralName(GeneralName.iPAddress, host)
              : new GeneralName(GeneralName.dNSName, host);
    }
    return new GeneralNames(names);
  }

  private static X509v3CertificateBuilder builder(
      X500Principal issuer, X500Principal subject, KeyPair pair, Duration validity) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        new BigInteger(127, RANDOM).add(BigInteger.ONE),
        Date.from(now.minus(Duration.ofMinutes(5))),
        Date.from(now.plus(validity)),
        subject,
        pair.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate EC P-256 keys", e);
    }
  }

  private static String pem(String type, byte[] der) throws IOException {
    StringWriter text = new StringWriter();
    try (PemWriter writer = new PemWriter(text)) {
      writer.writeObject(new PemObject(type, der));
    }
    return text.toString();
  }
}
