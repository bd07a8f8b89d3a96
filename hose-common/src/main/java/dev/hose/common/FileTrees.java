package dev.hose.common;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Deletes directory trees on local disk. Links are deleted, never followed, and a file that
 * vanishes meanwhile (another cleanup got there first) is not an error.
 */
public final class FileTrees {
  private FileTrees() {}

  /**
   * Deletes {@code dir} and everything in it; nothing when it does not exist.
   *
   * @return how many regular files were deleted
   */
  public static int delete(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return 0;
    }
    int[] files = {0};
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (Files.deleteIfExists(file) && attrs.isRegularFile()) {
              files[0]++;
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null && !(e instanceof NoSuchFileException)) {
              throw e;
            }
            Files.deleteIfExists(d);
            return FileVisitResult.CONTINUE;
          }
        });
    return files[0];
  }

  /**
   * Deletes {@code dir} as {@link #delete} does, refusing anything that is not strictly inside
   * {@code root}: a path built from a lock file or a directory listing can never reach further.
   */
  public static int deleteInside(Path root, Path dir) throws IOException {
    Path base = root.toAbsolutePath().normalize();
    Path normalized = dir.toAbsolutePath().normalize();
    if (!normalized.startsWith(base) || normalized.equals(base)) {
      throw new IOException("refusing to delete " + dir + ": not inside " + root);
    }
    return delete(normalized);
  }
}
