package dev.hose.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {
  @TempDir Path dir;

  @Test
  void deletesATreeAndCountsItsFiles() throws IOException {
    Path tree = dir.resolve("tree");
    Files.createDirectories(tree.resolve("a/b"));
    Files.writeString(tree.resolve("one"), "1");
    Files.writeString(tree.resolve("a/b/two"), "2");
    assertEquals(2, FileTrees.delete(tree));
    assertFalse(Files.exists(tree));
    assertEquals(0, FileTrees.delete(tree), "a missing tree is no error");
  }

  @Test
  void linksAreDeletedNotFollowed() throws IOException {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(outside.resolve("keep"), "k");
    Path tree = Files.createDirectories(dir.resolve("tree"));
    Files.createSymbolicLink(tree.resolve("link"), outside);
    FileTrees.delete(tree);
    assertFalse(Files.exists(tree));
    assertTrue(Files.exists(outside.resolve("keep")));
  }

  @Test
  void deleteInsideRefusesTheRootAndWhatIsOutsideIt() throws IOException {
    Path root = Files.createDirectories(dir.resolve("root"));
    Path inside = Files.createDirectories(root.resolve("x"));
    assertThrows(IOException.class, () -> FileTrees.deleteInside(root, root));
    assertThrows(IOException.class, () -> FileTrees.deleteInside(root, root.resolve("../other")));
    FileTrees.deleteInside(root, inside);
    assertFalse(Files.exists(inside));
    assertTrue(Files.exists(root));
  }

  @Test
  void deleteInsideTakesARootSpelledWithDotDot() throws IOException {
    Path root = Files.createDirectories(dir.resolve("root"));
    Path inside = Files.createDirectories(root.resolve("y"));
    Path spelled = dir.resolve("root/../root");
    assertThrows(IOException.class, () -> FileTrees.deleteInside(spelled, root));
    FileTrees.deleteInside(spelled, inside);
    assertFalse(Files.exists(inside));
  }
}
