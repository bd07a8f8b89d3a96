package dev.hose.restore;

import dev.hose.support.TestServers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Where a test's archive lives, local or on the S3 server, with what a test needs to damage a copy
 * of it: objects named relative to the store's root, read, written, deleted and copied through an
 * independent client (not Beam's).
 */
abstract class ArchiveCopy {
  /** The location hose is given for {@code relative}. */
  abstract String url(String relative);

  abstract List<String> list(String relativePrefix);

  abstract byte[] get(String relative);

  abstract void put(String relative, byte[] content);

  abstract void delete(String relative);

  /** Copies every object under {@code from} to the same names under {@code to}. */
  void copy(String from, String to) {
    for (String name : list(from)) {
      put(to + name.substring(from.length()), get(name));
    }
  }

  static ArchiveCopy local(Path root) {
    return new ArchiveCopy() {
      @Override
      String url(String relative) {
        return root.resolve(relative).toString() + (relative.endsWith("/") ? "/" : "");
      }

      @Override
      List<String> list(String prefix) {
        if (!Files.exists(root.resolve(prefix))) {
          return List.of();
        }
        try (Stream<Path> walk = Files.walk(root.resolve(prefix))) {
          return walk.filter(Files::isRegularFile)
              .map(p -> root.relativize(p).toString())
              .sorted()
              .toList();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }

      @Override
      byte[] get(String relative) {
        try {
          return Files.readAllBytes(root.resolve(relative));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }

      @Override
      void put(String relative, byte[] content) {
        try {
          Files.createDirectories(root.resolve(relative).getParent());
          Files.write(root.resolve(relative), content);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }

      @Override
      void delete(String relative) {
        try {
          Files.delete(root.resolve(relative));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }

      @Override
      public String toString() {
        return "local";
      }
    };
  }

  static ArchiveCopy s3(TestServers servers, String rootPrefix) {
    return new ArchiveCopy() {
      @Override
      String url(String relative) {
        return "s3://" + TestServers.BUCKET + "/" + rootPrefix + relative;
      }

      @Override
      List<String> list(String prefix) {
        return servers.keys(rootPrefix + prefix).stream()
            .map(k -> k.substring(rootPrefix.length()))
            .sorted()
            .toList();
      }

      @Override
      byte[] get(String relative) {
        return servers.object(rootPrefix + relative);
      }

      @Override
      void put(String relative, byte[] content) {
        try (S3Client c = servers.s3Client()) {
          c.putObject(
              b -> b.bucket(TestServers.BUCKET).key(rootPrefix + relative),
              RequestBody.fromBytes(content));
        }
      }

      @Override
      void delete(String relative) {
        try (S3Client c = servers.s3Client()) {
          c.deleteObject(b -> b.bucket(TestServers.BUCKET).key(rootPrefix + relative));
        }
      }

      @Override
      public String toString() {
        return "s3";
      }
    };
  }
}
