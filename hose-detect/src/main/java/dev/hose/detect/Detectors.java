package dev.hose.detect;

import dev.hose.common.UserError;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/** The detectors that {@code --detectors} can name. */
public final class Detectors {
  private static final Map<String, Supplier<Detector>> BUILT_IN =
      Map.of(
          "motion", MotionDetector::new, "faces", FaceDetector::new, "people", PeopleDetector::new);

  private Detectors() {}

  /** Splits and checks {@code --detectors}; throws {@link UserError} for an unknown name. */
  public static List<String> parse(String spec) {
    List<String> names = new ArrayList<>();
    for (String part : (spec == null ? "" : spec).split(",")) {
      String name = part.strip();
      if (name.isEmpty()) {
        continue;
      }
      if (!BUILT_IN.containsKey(name.toLowerCase(Locale.ROOT)) && !isClassName(name)) {
        throw new UserError(
            "unknown detector '" + name + "' in --detectors (known: motion, faces, people)");
      }
      names.add(name);
    }
    if (names.isEmpty()) {
      throw new UserError("--detectors names no detector (known: motion, faces, people)");
    }
    return names;
  }

  /**
   * Creates the detectors named; the caller closes them. With {@code motion} also named, {@code
   * people} looks only where motion is.
   */
  public static List<Detector> create(List<String> names) {
    List<Detector> detectors = new ArrayList<>();
    boolean motion = names.stream().anyMatch(n -> n.equalsIgnoreCase("motion"));
    try {
      for (String name : names) {
        String key = name.toLowerCase(Locale.ROOT);
        Supplier<Detector> builtIn = BUILT_IN.get(key);
        if (key.equals("people")) {
          detectors.add(new PeopleDetector(motion));
        } else {
          detectors.add(builtIn != null ? builtIn.get() : instantiate(name));
        }
      }
      return detectors;
    } catch (RuntimeException | Error e) {
      detectors.forEach(Detector::close);
      throw e;
    }
  }

  /** The order detectors run on each frame: motion first, so others can use its boxes. */
  public static List<Detector> inRunOrder(List<Detector> detectors) {
    List<Detector> ordered = new ArrayList<>(detectors);
    ordered.sort(Comparator.comparingInt(d -> d.name().equals("motion") ? 0 : 1));
    return ordered;
  }

  private static boolean isClassName(String name) {
    return name.contains(".");
  }

  private static Detector instantiate(String className) {
    try {
      Class<?> type = Class.forName(className, true, Detectors.class.getClassLoader());
      return (Detector) type.getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new UserError("cannot create detector " + className + ": " + e, e);
    }
  }
}
