package dev.hose.detect;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Hands sampled pictures from the decoding thread to one detecting thread, through a fixed number
 * of gray frames: decoding runs ahead by at most {@link #SLOTS} pictures, so memory stays flat
 * whatever the video's length. The decoding thread scales each sampled picture into a free slot (a
 * small gray frame at working size, so the decoder's picture goes straight back to its pool); the
 * detecting thread detects on the slots in decode order, then hands them back. Scaling is the
 * decoding thread's because that thread mostly waits for the decoder's own threads, while the
 * detecting thread is the one that limits how fast every frame can be sampled.
 *
 * <p>A detector's failure stops the detecting; the decoding thread sees it at its next {@link
 * #submit} or at {@link #finish}. {@link #close} always waits for the detecting thread to be done
 * with the native state it shares (the detectors' sessions, the slots) before it frees the slots,
 * so the caller may then free that state: on every exit, whatever the thread's interrupt status.
 */
final class FrameHandoff implements AutoCloseable {
  /** Pictures decoded but not yet detected on, at most. */
  static final int SLOTS = 3;

  /** Detects on one picture, as gray at working size, on the detecting thread. */
  interface Detect {
    void on(Mat gray, long index, long ts) throws VideoFailure;
  }

  private record Job(Mat slot, long index, long ts) {}

  private static final Job END = new Job(null, -1, -1);

  /** How often a decoding thread waiting for a slot checks that the detecting thread lives. */
  private static final long WAIT_MILLIS = 200;

  private final Mat[] slots = new Mat[SLOTS];
  private final BlockingQueue<Mat> free = new ArrayBlockingQueue<>(SLOTS);
  private final GrayScaler scaler;
  private final BlockingQueue<Job> ready = new ArrayBlockingQueue<>(SLOTS + 1);
  private final Detect detect;
  private final Future<?> worker;
  private volatile VideoFailure failure;
  private volatile Error fatal;
  private volatile boolean cancelled;
  private boolean ended;

  /** Pictures are scaled by {@code scaler}, which only the decoding thread uses. */
  FrameHandoff(ExecutorService detecting, GrayScaler scaler, Detect detect) {
    this.scaler = scaler;
    this.detect = detect;
    for (int i = 0; i < SLOTS; i++) {
      slots[i] = scaler.newFrame();
      free.add(slots[i]);
    }
    this.worker = detecting.submit(this::detectUntilEnd);
  }

  /**
   * Scales {@code picture} into a slot and queues it for the detectors, waiting while every slot is
   * taken; throws the detectors' failure if there was one. The picture is not kept.
   */
  void submit(AVFrame picture, long index, long ts) throws VideoFailure, InterruptedException {
    throwFailure();
    Mat slot;
    while ((slot = free.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS)) == null) {
      if (worker.isDone()) { // it never ends before the end mark unless something broke it
        throwFailure();
        throw new IllegalStateException("the detecting thread ended before the video did");
      }
    }
    try {
      scaler.scale(picture, slot);
    } catch (IllegalStateException e) {
      free.add(slot);
      throw new VideoFailure(Reason.DECODE_ERROR, "frame " + index + ": " + e.getMessage(), e);
    }
    ready.put(new Job(slot, index, ts));
  }

  /** Waits until every queued picture is detected on; throws the detectors' failure if any. */
  void finish() throws VideoFailure, InterruptedException {
    end();
    try {
      worker.get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("the detecting thread failed", e.getCause());
    }
    throwFailure();
  }

  private void throwFailure() throws VideoFailure {
    Error e = fatal;
    if (e != null) {
      throw e; // as it would have been thrown on the decoding thread
    }
    VideoFailure f = failure;
    if (f != null) {
      throw new VideoFailure(f.reason(), f.getMessage(), f);
    }
  }

  /** Marks the end; never blocks (a job holds a slot, so the queue has room for the mark). */
  private void end() {
    if (!ended) {
      ready.add(END);
      ended = true;
    }
  }

  /** The detecting thread: every queued picture in order, until the end mark. */
  private Void detectUntilEnd() throws InterruptedException {
    for (Job job; (job = ready.take()) != END; ) {
      try {
        if (failure == null && !cancelled) {
          try (PointerScope frameScope = new PointerScope()) {
            detect.on(job.slot, job.index, job.ts);
          }
        }
      } catch (VideoFailure e) {
        failure = e;
      } catch (RuntimeException e) {
        failure = new VideoFailure(Reason.DETECTOR_ERROR, "frame " + job.index + ": " + e, e);
      } catch (Error e) {
        // Passed on to the decoding thread; this thread keeps handing slots back until the end.
        fatal = e;
        failure = new VideoFailure(Reason.DETECTOR_ERROR, "frame " + job.index + ": " + e, e);
      } finally {
        free.add(job.slot);
      }
    }
    return null;
  }

  /**
   * Stops the detecting (pictures still queued are let go, not detected on), waits for the
   * detecting thread, and frees the slots.
   */
  @Override
  public void close() {
    cancelled = true;
    boolean interrupted = false;
    while (true) {
      try {
        end();
        worker.get();
        break;
      } catch (InterruptedException e) {
        interrupted = true; // the thread must be done with the native state before it is freed
      } catch (java.util.concurrent.ExecutionException
          | java.util.concurrent.CancellationException e) {
        break;
      }
    }
    freeSlots();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void freeSlots() {
    for (int i = 0; i < slots.length; i++) {
      if (slots[i] != null) {
        slots[i].close();
        slots[i] = null;
      }
    }
  }
}
