package dev.hose.archive;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import dev.hose.common.Errors;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libdeflate, the system's shared library, through JNA: whole-buffer gzip that takes about half the
 * CPU of zlib at the same level and writes smaller output, and reads it back faster
 * (docs/archive.md#compression). hose looks for it once per JVM: at {@code $HOSE_LIBDEFLATE} (a
 * path) when set, else as {@code libdeflate.so.0} or {@code libdeflate} on the library path (Debian
 * and Ubuntu: the package libdeflate0; Fedora, Alpine, Homebrew: libdeflate). Without it, with
 * {@code HOSE_LIBDEFLATE=off}, or where hose runs in a job's class loader (a Flink TaskManager),
 * gzip shards are written by java.util.zip, and the log says why once.
 */
final class LibDeflate {
  private static final Logger LOG = LoggerFactory.getLogger(LibDeflate.class);

  /** Where to look for the library instead of the library path. */
  static final String PATH_VARIABLE = "HOSE_LIBDEFLATE";

  /** Null once the library is bound; else why it is not. */
  private static final String MISSING = bind(System.getenv(PATH_VARIABLE));

  private LibDeflate() {}

  /** Whether gzip is compressed by libdeflate in this JVM. */
  static boolean available() {
    return MISSING == null;
  }

  /** Binds the natives below to the first library found; null on success, else the reason. */
  private static String bind(String path) {
    if ("off".equals(path)) {
      LOG.info("gzip: java.util.zip ({}=off)", PATH_VARIABLE);
      return PATH_VARIABLE + "=off";
    }
    if (LibDeflate.class.getClassLoader() != ClassLoader.getSystemClassLoader()) {
      // A Flink TaskManager loads each job in a class loader of its own. JNA keeps a thread
      // ("JNA Cleaner") for as long as a library is loaded, and that thread would keep the job's
      // class loader, and every class of the job, after the job ends (FlinkArchiveIT counts them).
      LOG.info(
          "gzip: java.util.zip (hose runs in a job's class loader here, which JNA would keep"
              + " loaded after the job ends)");
      return "a job's class loader";
    }
    try {
      if (Native.SIZE_T_SIZE != Long.BYTES) {
        return unavailable("size_t is not 64-bit here");
      }
    } catch (LinkageError e) { // JNA's own native library cannot load here
      return unavailable("JNA: " + Errors.firstLine(e.getMessage(), "not found"));
    }
    List<String> names =
        path != null && !path.isEmpty() ? List.of(path) : List.of("libdeflate.so.0", "deflate");
    List<String> failures = new ArrayList<>();
    for (String name : names) {
      try {
        NativeLibrary library = NativeLibrary.getInstance(name);
        Native.register(LibDeflate.class, library);
        LOG.info("gzip: libdeflate ({})", library.getFile());
        return null;
      } catch (LinkageError | RuntimeException e) {
        failures.add(name + ": " + Errors.firstLine(e.getMessage(), "not found"));
      }
    }
    return unavailable(String.join("; ", failures));
  }

  private static String unavailable(String reason) {
    LOG.info(
        "gzip: java.util.zip, about twice the CPU of libdeflate, which is not found ({}): install"
            + " libdeflate0 (Debian, Ubuntu) or libdeflate, or set {} to its path",
        reason,
        PATH_VARIABLE);
    return reason;
  }

  /** A compressor at {@code level} (0 to 12), or null when out of memory. */
  static native Pointer libdeflate_alloc_compressor(int level);

  /** The most bytes {@code inBytes} of input can take as gzip. */
  static native long libdeflate_gzip_compress_bound(Pointer compressor, long inBytes);

  /** {@code in} as one gzip member into {@code out}: its size, or 0 when it does not fit. */
  static native long libdeflate_gzip_compress(
      Pointer compressor, Pointer in, long inBytes, Pointer out, long outBytes);

  static native void libdeflate_free_compressor(Pointer compressor);

  /** libdeflate_gzip_decompress_ex's result: the member is whole in the output. */
  static final int SUCCESS = 0;

  /** A decompressor, or null when out of memory. */
  static native Pointer libdeflate_alloc_decompressor();

  /**
   * The gzip member at the start of {@code in} into {@code out}: {@link #SUCCESS}, or 1 (bad data,
   * or the member goes on past {@code inBytes}), 3 (more than {@code outBytes} of output). Writes
   * the bytes of input it took and of output it gave at {@code inTaken} and {@code outGiven}.
   */
  static native int libdeflate_gzip_decompress_ex(
      Pointer decompressor,
      Pointer in,
      long inBytes,
      Pointer out,
      long outBytes,
      Pointer inTaken,
      Pointer outGiven);

  static native void libdeflate_free_decompressor(Pointer decompressor);
}
