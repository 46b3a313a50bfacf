package dev.peerid.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.junit.jupiter.api.Assumptions;

/**
 * Real signed files that no one here made, from npm packages and Debian packages fetched by exact
 * version. Each package is checked against the SHA-256 pinned in the test and cached under the
 * build's {@code target/real-files}, so a build fetches it once. Offline, outside CI, the test is
 * skipped with one line; under CI=true a failed fetch fails the test. Shared by the platform
 * modules' tests through this module's test jar; a module that uses it declares commons-compress
 * and xz in its own test scope.
 */
public final class RealFiles {
  /** The build's cache (set by the parent pom for every module), or this module's target directory. */
  private static final Path CACHE = Path.of(System.getProperty("peerid.realFilesCache", "target/real-files"));
  private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
      .connectTimeout(Duration.ofSeconds(20)).build();

  /** Set by the first failed fetch outside CI, so that the next ones skip at once instead of waiting again. */
  private static volatile String offline;

  private RealFiles() {}

  /** An npm package by exact version and the SHA-256 of its tarball. */
  public record Npm(String name, String version, String sha256) {
    public String url() {
      String base = name.contains("/") ? name.substring(name.indexOf('/') + 1) : name;
      return "https://registry.npmjs.org/" + name + "/-/" + base + "-" + version + ".tgz";
    }
  }

  /** The file at {@code member} (e.g. {@code package/bin/sentry-cli}) of the package. */
  public static Path npm(Npm pkg, String member) throws IOException, InterruptedException {
    Path tarball = download(pkg.url(), pkg.sha256());
    Path out = CACHE.resolve(pkg.sha256()).resolve(member);
    if (Files.isRegularFile(out)) {
      return out;
    }
    try (TarArchiveInputStream in = new TarArchiveInputStream(new GzipCompressorInputStream(
        new BufferedInputStream(Files.newInputStream(tarball))))) {
      return extract(in, member, out, pkg.url());
    }
  }

  /** A Debian package by its pool path under deb.debian.org (exact version) and its SHA-256. */
  public record Deb(String pool, String sha256) {
    public String url() {
      return "https://deb.debian.org/debian/pool/main/" + pool;
    }
  }

  /** The file at {@code member} (e.g. {@code ./usr/lib/shim/shimx64.efi.signed}) of the package's data.tar.xz. */
  public static Path deb(Deb pkg, String member) throws IOException, InterruptedException {
    Path deb = download(pkg.url(), pkg.sha256());
    Path out = CACHE.resolve(pkg.sha256()).resolve(member);
    if (Files.isRegularFile(out)) {
      return out;
    }
    try (ArArchiveInputStream ar = new ArArchiveInputStream(new BufferedInputStream(Files.newInputStream(deb)))) {
      ArArchiveEntry e;
      while ((e = ar.getNextEntry()) != null) {
        if (e.getName().equals("data.tar.xz")) {
          TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(ar));
          return extract(tar, member, out, pkg.url());
        }
      }
    }
    throw new IOException(pkg.url() + " has no data.tar.xz");
  }

  private static Path extract(ArchiveInputStream<?> archive, String member, Path out, String what) throws IOException {
    ArchiveEntry e;
    while ((e = archive.getNextEntry()) != null) {
      if (!e.isDirectory() && e.getName().equals(member)) {
        Files.createDirectories(out.getParent());
        Path part = Files.createTempFile(out.getParent(), "extract", ".part");
        Files.copy(archive, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return out;
      }
    }
    throw new IOException(what + " has no " + member);
  }

  /** Downloads {@code url} once into the cache; the bytes must have the pinned SHA-256. */
  public static Path download(String url, String sha256) throws IOException, InterruptedException {
    Path target = CACHE.resolve(sha256 + ".download");
    if (Files.isRegularFile(target) && sha256(target).equals(sha256)) {
      return target;
    }
    if (offline != null) {
      Assumptions.abort(offline);
    }
    Files.createDirectories(CACHE);
    Path part = Files.createTempFile(CACHE, "fetch", ".part");
    try {
      HttpResponse<Path> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
          .timeout(Duration.ofMinutes(3)).build(), HttpResponse.BodyHandlers.ofFile(part));
      if (response.statusCode() != 200) {
        throw new IOException("HTTP " + response.statusCode());
      }
    } catch (IOException e) {
      Files.deleteIfExists(part);
      if ("true".equals(System.getenv("CI"))) {
        fail("cannot fetch " + url + " under CI=true: " + e);
      }
      offline = "offline: cannot fetch " + url + " (" + e + ")";
      Assumptions.abort(offline);
    }
    String actual = sha256(part);
    if (!actual.equals(sha256)) {
      Files.deleteIfExists(part);
      fail(url + " has SHA-256 " + actual + ", not the pinned " + sha256);
    }
    Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return target;
  }

  public static String sha256(Path file) throws IOException {
    try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(in.getMessageDigest().digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
