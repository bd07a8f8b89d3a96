package dev.hose.detect;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.PointerScope;

/**
 * Hands sampled pictures from the decoding thread to one detecting thread, through a fixed number
 * of frame slots: decoding runs ahead by at most {@link #SLOTS} pictures, so memory stays flat
 * whatever the video's length. A slot holds a reference to the decoder's picture ({@code
 * av_frame_ref}: the pixels are not copied; the decoder takes fresh buffers from its pool), which
 * the detecting thread scales and detects on, in decode order, then lets go.
 *
 * <p>A detector's failure stops the detecting; the decoding thread sees it at its next {@link
 * #submit} or at {@link #finish}. {@link #close} always waits for the detecting thread to be done
 * with the native state it shares (the detectors' sessions, the scaler) before it frees the slots,
 * so the caller may then free that state: on every exit, whatever the thread's interrupt status.
 */
final class FrameHandoff implements AutoCloseable {
  /** Pictures decoded but not yet detected on, at most. */
  static final int SLOTS = 3;

  /** Detects on one picture, on the detecting thread. */
  interface Detect {
    void on(AVFrame picture, long index, long ts) throws VideoFailure;
  }

  private record Job(AVFrame slot, long index, long ts) {}

  private static final Job END = new Job(null, -1, -1);

  /** How often a decoding thread waiting for a slot checks that the detecting thread lives. */
  private static final long WAIT_MILLIS = 200;

  private final AVFrame[] slots = new AVFrame[SLOTS];
  private final BlockingQueue<AVFrame> free = new ArrayBlockingQueue<>(SLOTS);
  private final BlockingQueue<Job> ready = new ArrayBlockingQueue<>(SLOTS + 1);
  private final Detect detect;
  private final Future<?> worker;
  private volatile VideoFailure failure;
  private volatile Error fatal;
  private volatile boolean cancelled;
  private boolean ended;

  FrameHandoff(ExecutorService detecting, Detect detect) {
    this.detect = detect;
    for (int i = 0; i < SLOTS; i++) {
      slots[i] = avutil.av_frame_alloc();
      if (slots[i] == null) {
        freeSlots();
        throw new OutOfMemoryError("av_frame_alloc");
      }
      free.add(slots[i]);
    }
    this.worker = detecting.submit(this::detectUntilEnd);
  }

  /**
   * Queues {@code picture} for the detectors, waiting while every slot is taken; throws the
   * detectors' failure if there was one.
   */
  void submit(AVFrame picture, long index, long ts) throws VideoFailure, InterruptedException {
    throwFailure();
    AVFrame slot;
    while ((slot = free.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS)) == null) {
      if (worker.isDone()) { // it never ends before the end mark unless something broke it
        throwFailure();
        throw new IllegalStateException("the detecting thread ended before the video did");
      }
    }
    int err = avutil.av_frame_ref(slot, picture);
    if (err < 0) {
      free.add(slot);
      throw new VideoFailure(Reason.DECODE_ERROR, "frame " + index + ": av_frame_ref " + err);
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
        avutil.av_frame_unref(job.slot);
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
        avutil.av_frame_free(slots[i]);
        slots[i] = null;
      }
    }
  }
}
