package dev.hose.archive;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

/**
 * A Parquet shard written from a range's cursor: each value's PostgreSQL text form (as the cursor
 * delivers it) becomes its Parquet value ({@link ParquetColumns}), rows are buffered into row
 * groups of at most about {@code rowGroupBytes}, and each finished row group streams through sha256
 * to the channel (Beam's S3 or local filesystem). Memory is one row group and one row, whatever the
 * shard's size; parquet-java checks the buffered size from the first row on, so a table of 30 MB
 * rows closes a row group every row or so.
 */
final class ParquetShardWriter implements ShardOutput {
  private static final int PAGE_BYTES = 1 << 20;
  private static final int STATISTICS_BYTES = 64;

  private final DigestingOutput out;
  private final ParquetWriter<ResultSet> writer;
  private final RowWriter rows;

  ParquetShardWriter(
      WritableByteChannel channel,
      ShardCodec codec,
      int level,
      long rowGroupBytes,
      List<ArchiveManifest.Column> columns)
      throws IOException {
    out = new DigestingOutput(Channels.newOutputStream(channel));
    rows = new RowWriter(columns);
    writer =
        new Builder(new StreamFile(out), rows)
            .withConf(new PlainParquetConfiguration())
            .withCodecFactory(new ParquetCodecs(level))
            .withCompressionCodec(codec.parquetCodec())
            .withRowGroupSize(rowGroupBytes)
            .withPageSize(PAGE_BYTES)
            .withDictionaryPageSize(PAGE_BYTES)
            .withMinRowCountForPageSizeCheck(1)
            .withMaxRowCountForPageSizeCheck(1_000)
            .withStatisticsTruncateLength(STATISTICS_BYTES)
            .withColumnIndexTruncateLength(STATISTICS_BYTES)
            .build();
  }

  @Override
  public long writeRow(ResultSet rs) throws IOException {
    writer.write(rs);
    return rows.lastRowBytes;
  }

  @Override
  public void finish() throws IOException {
    writer.close(); // the last row group and the footer, then the channel
  }

  @Override
  public void discard() {
    out.abandon();
    try {
      writer.close(); // frees the compressors; nothing reaches the channel
    } catch (IOException | RuntimeException e) {
      // nothing was to be kept
    }
  }

  @Override
  public long rawBytes() {
    return rows.textBytes;
  }

  @Override
  public long compressedBytes() {
    return out.count();
  }

  @Override
  public String sha256Hex() {
    return out.sha256Hex();
  }

  /** Writes the cursor's current row: each column's text bytes as its Parquet value. */
  private static final class RowWriter extends WriteSupport<ResultSet> {
    private final MessageType schema;
    private final String[] names;
    private final ValueWriter[] values;
    private RecordConsumer consumer;
    long textBytes;
    long lastRowBytes;

    RowWriter(List<ArchiveManifest.Column> columns) {
      schema = ParquetColumns.schema(columns);
      names = new String[columns.size()];
      values = new ValueWriter[columns.size()];
      for (int i = 0; i < names.length; i++) {
        ArchiveManifest.Column c = columns.get(i);
        names[i] = c.name();
        values[i] = ValueWriter.of(c);
      }
    }

    @Override
    public WriteContext init(ParquetConfiguration configuration) {
      return new WriteContext(schema, Map.of());
    }

    @Override
    public WriteContext init(org.apache.hadoop.conf.Configuration configuration) {
      return new WriteContext(schema, Map.of());
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
      consumer = recordConsumer;
    }

    @Override
    public void write(ResultSet rs) {
      long bytes = 0;
      consumer.startMessage();
      try {
        for (int i = 0; i < names.length; i++) {
          byte[] v = rs.getBytes(i + 1);
          if (v == null) {
            continue;
          }
          bytes += v.length;
          consumer.startField(names[i], i);
          values[i].write(v, consumer);
          consumer.endField(names[i], i);
        }
      } catch (SQLException e) {
        throw new ReadFailed(e);
      }
      consumer.endMessage();
      lastRowBytes = bytes;
      textBytes += bytes;
    }
  }

  /** A cursor failure inside parquet-java's write call, unwrapped by {@link ExportRangeFn}. */
  static final class ReadFailed extends RuntimeException {
    ReadFailed(SQLException cause) {
      super(cause);
    }
  }

  /** How one column's text form becomes its Parquet value. */
  @FunctionalInterface
  private interface ValueWriter {
    void write(byte[] v, RecordConsumer c);

    static ValueWriter of(ArchiveManifest.Column column) {
      PgType t = PgType.parse(column.type());
      if (column.fallback() != null) {
        return ValueWriter::text;
      }
      if (t.array()) {
        ValueWriter element = scalar(t, true);
        return (v, c) -> list(v, element, c);
      }
      return scalar(t, false);
    }

    /** {@code inArray}: bytea elements arrive as {@code \x} hex (a column's bytea is decoded). */
    private static ValueWriter scalar(PgType t, boolean inArray) {
      return switch (t.kind()) {
        case SMALLINT, INTEGER -> (v, c) -> c.addInteger((int) integer(v));
        case BIGINT -> (v, c) -> c.addLong(integer(v));
        case REAL -> (v, c) -> c.addFloat(Float.parseFloat(ascii(v)));
        case DOUBLE -> (v, c) -> c.addDouble(Double.parseDouble(ascii(v)));
        case BOOLEAN -> (v, c) -> c.addBoolean(v[0] == 't');
        case NUMERIC -> ParquetColumns.decimal(t) ? decimal(t) : ValueWriter::text;
        case DATE -> (v, c) -> c.addInteger(PgTemporal.days(v, 0, v.length));
        case TIMESTAMP, TIMESTAMPTZ -> (v, c) -> c.addLong(PgTemporal.micros(v, 0, v.length));
        case UUID -> (v, c) -> c.addBinary(Binary.fromConstantByteArray(uuid(v)));
        case BYTEA ->
            inArray
                ? (v, c) -> c.addBinary(Binary.fromConstantByteArray(hex(v)))
                : (v, c) -> c.addBinary(Binary.fromConstantByteArray(v));
        case JSON, TEXT, OTHER -> ValueWriter::text;
      };
    }

    private static void text(byte[] v, RecordConsumer c) {
      c.addBinary(Binary.fromConstantByteArray(v));
    }

    private static ValueWriter decimal(PgType t) {
      int scale = t.scale();
      if (t.precision() <= 18) {
        boolean int32 = t.precision() <= 9;
        return (v, c) -> {
          long unscaled = unscaled(v, scale);
          if (int32) {
            c.addInteger((int) unscaled);
          } else {
            c.addLong(unscaled);
          }
        };
      }
      int width = ParquetColumns.decimalBytes(t.precision());
      return (v, c) ->
          c.addBinary(Binary.fromConstantByteArray(fixed(bigUnscaled(v, scale), width)));
    }

    /** The digits of a numeric(p ≤ 18, s) without its point, as PostgreSQL prints s decimals. */
    private static long unscaled(byte[] v, int scale) {
      long n = 0;
      int fraction = -1;
      boolean negative = v[0] == '-';
      for (int i = negative ? 1 : 0; i < v.length; i++) {
        byte b = v[i];
        if (b == '.') {
          fraction = 0;
        } else if (b >= '0' && b <= '9') {
          n = n * 10 + (b - '0');
          if (fraction >= 0) {
            fraction++;
          }
        } else {
          return bigUnscaled(v, scale).longValueExact(); // NaN: refused there
        }
      }
      for (int f = Math.max(fraction, 0); f < scale; f++) {
        n *= 10;
      }
      return negative ? -n : n;
    }

    private static BigInteger bigUnscaled(byte[] v, int scale) {
      String s = ascii(v);
      try {
        return new BigDecimal(s).setScale(scale, RoundingMode.UNNECESSARY).unscaledValue();
      } catch (NumberFormatException | ArithmeticException e) {
        throw new IllegalArgumentException(
            "numeric value '" + s + "' does not fit its column's DECIMAL", e);
      }
    }

    /** Big-endian two's complement in exactly {@code width} bytes. */
    private static byte[] fixed(BigInteger n, int width) {
      byte[] b = n.toByteArray();
      byte[] out = new byte[width];
      byte pad = (byte) (n.signum() < 0 ? 0xff : 0);
      int lead = width - b.length;
      for (int i = 0; i < lead; i++) {
        out[i] = pad;
      }
      System.arraycopy(b, 0, out, lead, b.length);
      return out;
    }

    private static long integer(byte[] v) {
      long n = 0;
      boolean negative = v[0] == '-';
      for (int i = negative ? 1 : 0; i < v.length; i++) {
        n = n * 10 + (v[i] - '0');
      }
      return negative ? -n : n;
    }

    private static byte[] uuid(byte[] v) {
      byte[] out = new byte[16];
      int o = 0;
      for (int i = 0; i < v.length && o < 32; i++) {
        int d = Character.digit(v[i], 16);
        if (d >= 0) {
          out[o >> 1] |= (byte) ((o & 1) == 0 ? d << 4 : d);
          o++;
        }
      }
      return out;
    }

    /** {@code \x0102} (bytea's hex text) to its bytes. */
    private static byte[] hex(byte[] v) {
      byte[] out = new byte[(v.length - 2) / 2];
      for (int i = 0; i < out.length; i++) {
        out[i] =
            (byte) (Character.digit(v[2 + 2 * i], 16) << 4 | Character.digit(v[3 + 2 * i], 16));
      }
      return out;
    }

    private static String ascii(byte[] v) {
      return new String(v, StandardCharsets.US_ASCII);
    }

    /** A one-dimensional array literal as a LIST: {@code {1,NULL,"a b"}}. */
    private static void list(byte[] v, ValueWriter element, RecordConsumer c) {
      List<byte[]> elements = ArrayElements.parse(v);
      c.startGroup();
      if (!elements.isEmpty()) {
        c.startField("list", 0);
        for (byte[] e : elements) {
          c.startGroup();
          if (e != null) {
            c.startField("element", 0);
            element.write(e, c);
            c.endField("element", 0);
          }
          c.endGroup();
        }
        c.endField("list", 0);
      }
      c.endGroup();
    }
  }

  /** The elements of a one-dimensional array literal as PostgreSQL prints it. */
  static final class ArrayElements {
    private ArrayElements() {}

    /**
     * Elements in order, null for NULL. Refuses what a LIST cannot hold: several dimensions or
     * bounds other than 1 (the planner makes such columns text first).
     */
    static List<byte[]> parse(byte[] v) {
      if (v.length < 2 || v[0] != '{' || v[v.length - 1] != '}') {
        throw new IllegalArgumentException(
            "array " + new String(v, StandardCharsets.UTF_8) + " is not one-dimensional from 1");
      }
      List<byte[]> out = new ArrayList<>();
      int i = 1;
      int end = v.length - 1;
      if (i == end) {
        return out;
      }
      java.io.ByteArrayOutputStream e = new java.io.ByteArrayOutputStream();
      while (i <= end) {
        e.reset();
        if (v[i] == '"') {
          i++;
          while (v[i] != '"') {
            if (v[i] == '\\') {
              i++;
            }
            e.write(v[i++]);
          }
          i++;
          out.add(e.toByteArray());
        } else if (v[i] == '{') {
          throw new IllegalArgumentException("a multi-dimensional array is not a LIST");
        } else {
          int start = i;
          while (i < end && v[i] != ',') {
            i++;
          }
          boolean isNull =
              i - start == 4
                  && (v[start] | 0x20) == 'n'
                  && (v[start + 1] | 0x20) == 'u'
                  && (v[start + 2] | 0x20) == 'l'
                  && (v[start + 3] | 0x20) == 'l';
          out.add(isNull ? null : java.util.Arrays.copyOfRange(v, start, i));
        }
        i++; // ',' or the closing '}'
      }
      return out;
    }
  }

  /** parquet-java's writer builder over hose's stream and row writer. */
  private static final class Builder extends ParquetWriter.Builder<ResultSet, Builder> {
    private final RowWriter rows;

    Builder(OutputFile file, RowWriter rows) {
      super(file);
      this.rows = rows;
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<ResultSet> getWriteSupport(ParquetConfiguration conf) {
      return rows;
    }

    @Override
    protected WriteSupport<ResultSet> getWriteSupport(org.apache.hadoop.conf.Configuration conf) {
      return rows;
    }
  }

  /** The shard's channel as a Parquet output file: written once, front to back. */
  private record StreamFile(DigestingOutput out) implements OutputFile {
    @Override
    public PositionOutputStream create(long blockSizeHint) {
      return new PositionOutputStream() {
        @Override
        public long getPos() {
          return out.count();
        }

        @Override
        public void write(int b) throws IOException {
          out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
          out.flush();
        }

        @Override
        public void close() throws IOException {
          out.close();
        }
      };
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) {
      return create(blockSizeHint);
    }

    @Override
    public boolean supportsBlockSize() {
      return false;
    }

    @Override
    public long defaultBlockSize() {
      return 0;
    }
  }
}
