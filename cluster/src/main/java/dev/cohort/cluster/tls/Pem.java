package dev.cohort.cluster.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads PEM files: certificate chains, unencrypted private keys (PKCS#8 {@code PRIVATE KEY}, PKCS#1
 * {@code RSA PRIVATE KEY}, SEC1 {@code EC PRIVATE KEY}) and CA bundles as trust managers. Every
 * failure is a {@link TlsFileException} naming the file and what is wrong with it.
 */
public final class Pem {
  private Pem() {}

  /** The certificates of {@code file}, leaf first as in a server's chain file. */
  public static List<X509Certificate> certificates(Path file) {
    return certificates(file, read(file));
  }

  static List<X509Certificate> certificates(Path file, byte[] pem) {
    try (InputStream in = new java.io.ByteArrayInputStream(pem)) {
      List<X509Certificate> certificates = new ArrayList<>();
      for (Certificate certificate :
          CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        certificates.add((X509Certificate) certificate);
      }
      if (certificates.isEmpty()) {
        throw new TlsFileException(file, "holds no PEM certificate");
      }
      return List.copyOf(certificates);
    } catch (CertificateException | IOException e) {
      throw new TlsFileException(file, "is not a PEM certificate file: " + e.getMessage());
    }
  }

  /** The unencrypted private key in {@code file}. */
  public static PrivateKey privateKey(Path file) {
    return privateKey(file, read(file));
  }

  static PrivateKey privateKey(Path file, byte[] pem) {
    try (Reader reader = new StringReader(new String(pem, StandardCharsets.US_ASCII));
        PEMParser parser = new PEMParser(reader)) {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
        switch (object) {
          case PrivateKeyInfo info -> {
            return converter.getPrivateKey(info);
          }
          case PEMKeyPair pair -> {
            return converter.getKeyPair(pair).getPrivate();
          }
          case PKCS8EncryptedPrivateKeyInfo ignored ->
              throw new TlsFileException(
                  file, "holds an encrypted private key; give an unencrypted one");
          default -> {
            // certificates or parameters next to the key: skip them
          }
        }
      }
      throw new TlsFileException(file, "holds no PEM private key");
    } catch (IOException e) {
      throw new TlsFileException(file, "is not a PEM private key file: " + e.getMessage());
    }
  }

  /**
   * A trust manager that accepts the certificates issued by the CA certificates in {@code file}.
   */
  public static X509TrustManager trustManager(Path file) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (X509Certificate ca : certificates(file)) {
        store.setCertificateEntry("ca-" + i++, ca);
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      for (TrustManager manager : factory.getTrustManagers()) {
        if (manager instanceof X509TrustManager x509) {
          return x509;
        }
      }
      throw new IllegalStateException("the JDK offers no X509TrustManager");
    } catch (GeneralSecurityException | IOException e) {
      throw new TlsFileException(file, "cannot be used as a CA file: " + e.getMessage());
    }
  }

  /**
   * Checks that {@code key} belongs to {@code certificate} by signing with the one and verifying
   * with the other: a certificate and key replaced one after the other must not be paired.
   */
  static boolean matches(PrivateKey key, X509Certificate certificate) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    if (algorithm == null) {
      return true;
    }
    try {
      byte[] challenge = "cohort key check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new TlsFileException(file, "cannot be read: " + e);
    }
  }
}
