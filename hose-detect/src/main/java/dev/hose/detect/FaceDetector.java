package dev.hose.detect;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.RectVector;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_objdetect.CascadeClassifier;

/** Frontal faces with the Haar cascade that ships inside the OpenCV jar. */
public final class FaceDetector implements Detector {
  static final String CASCADE =
      "/org/bytedeco/opencv/"
          + Loader.getPlatform()
          + "/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";

  private final CascadeClassifier classifier;

  public FaceDetector() {
    File file;
    try {
      file = Loader.cacheResource(CASCADE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract " + CASCADE, e);
    }
    if (file == null) {
      throw new IllegalStateException("the OpenCV jar has no " + CASCADE);
    }
    classifier = new CascadeClassifier(file.getAbsolutePath());
    if (classifier.empty()) {
      classifier.close();
      throw new IllegalStateException("cannot load the face cascade " + file);
    }
  }

  @Override
  public String name() {
    return "faces";
  }

  @Override
  public Session start(int width, int height) {
    int min = Math.max(24, Math.min(width, height) / 20);
    Mat equalized = new Mat();
    Size minSize = new Size(min, min);
    Size maxSize = new Size();
    return new Session() {
      @Override
      public void detect(Mat gray, List<Box> out) {
        opencv_imgproc.equalizeHist(gray, equalized);
        try (RectVector faces = new RectVector()) {
          classifier.detectMultiScale(equalized, faces, 1.1, 4, 0, minSize, maxSize);
          for (long i = 0; i < faces.size(); i++) {
            Rect r = faces.get(i);
            out.add(new Box("face", r.x(), r.y(), r.width(), r.height(), null));
          }
        }
      }

      @Override
      public void close() {
        equalized.close();
        minSize.close();
        maxSize.close();
      }
    };
  }

  @Override
  public void close() {
    classifier.close();
  }
}
