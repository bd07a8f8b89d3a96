package dev.hose.restore;

import dev.hose.archive.ArchiveManifest;
import dev.hose.archive.ParquetCodecs;
import dev.hose.archive.ParquetColumns;
import dev.hose.archive.PgTemporal;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.HexFormat;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * One Parquet shard, read through Beam's filesystems (S3 ranged reads, or a local file): its
 * footer, and its rows as PostgreSQL COPY text, undoing {@link ParquetColumns}' mapping. Memory is
 * one row group.
 */
final class ParquetShard implements AutoCloseable {
  private final ParquetFileReader reader;

  private ParquetShard(ParquetFileReader reader) {
    this.reader = reader;
  }

  /** Opens a shard and reads its footer; a file that is not Parquet fails here. */
  static ParquetShard open(String location) throws IOException {
    SeekableByteChannel channel =
        (SeekableByteChannel) FileSystems.open(FileSystems.matchNewResource(location, false));
    try {
      return new ParquetShard(
          ParquetFileReader.open(
              new ChannelFile(channel),
              ParquetReadOptions.builder(new PlainParquetConfiguration())
                  .withCodecFactory(new ParquetCodecs(0))
                  .build()));
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  MessageType schema() {
    return reader.getFooter().getFileMetaData().getSchema();
  }

  long rows() {
    return reader.getRecordCount();
  }

  /**
   * Null if the shard's schema is the one the manifest's columns give, else what differs (one
   * line).
   */
  String schemaProblem(List<ArchiveManifest.Column> columns) {
    MessageType expected = ParquetColumns.schema(columns);
    if (expected.equals(schema())) {
      return null;
    }
    List<Type> have = schema().getFields();
    for (int i = 0; i < Math.max(have.size(), expected.getFieldCount()); i++) {
      String h = i < have.size() ? have.get(i).toString().strip() : "nothing";
      String e = i < expected.getFieldCount() ? expected.getType(i).toString().strip() : "nothing";
      if (!h.equals(e)) {
        return "Parquet column "
            + (i + 1)
            + " is "
            + h.replaceAll("\\s+", " ")
            + ", the manifest's columns give "
            + e.replaceAll("\\s+", " ");
      }
    }
    return "its Parquet schema is not the one the manifest's columns give";
  }

  /** Receives each row as a COPY text line (with its newline). */
  interface RowSink {
    void accept(String copyRow) throws IOException;
  }

  /** Reads every row group in order; returns the number of rows. */
  long copyRows(RowSink sink) throws IOException {
    MessageType schema = schema();
    MessageColumnIO io = new ColumnIOFactory().getColumnIO(schema);
    StringBuilder row = new StringBuilder();
    StringBuilder value = new StringBuilder();
    long rows = 0;
    for (PageReadStore pages = reader.readNextRowGroup();
        pages != null;
        pages = reader.readNextRowGroup()) {
      RecordReader<Group> records = io.getRecordReader(pages, new GroupRecordConverter(schema));
      for (long i = 0; i < pages.getRowCount(); i++) {
        Group g = records.read();
        row.setLength(0);
        for (int f = 0; f < schema.getFieldCount(); f++) {
          if (f > 0) {
            row.append('\t');
          }
          if (g.getFieldRepetitionCount(f) == 0) {
            row.append("\\N");
            continue;
          }
          value.setLength(0);
          Type t = schema.getType(f);
          if (t.isPrimitive()) {
            text(t.asPrimitiveType(), g, f, value);
          } else {
            list(t.asGroupType(), g.getGroup(f, 0), value);
          }
          CopyText.escapeCopy(value, row);
        }
        row.append('\n');
        sink.accept(row.toString());
        rows++;
      }
    }
    return rows;
  }

  @Override
  public void close() throws IOException {
    reader.close();
  }

  /** A LIST as an array literal, every element quoted, NULL for a null element. */
  private static void list(GroupType listType, Group list, StringBuilder out) {
    PrimitiveType element = listType.getType(0).asGroupType().getType(0).asPrimitiveType();
    out.append('{');
    int n = list.getFieldRepetitionCount(0);
    StringBuilder e = new StringBuilder();
    for (int j = 0; j < n; j++) {
      if (j > 0) {
        out.append(',');
      }
      Group holder = list.getGroup(0, j);
      if (holder.getFieldRepetitionCount(0) == 0) {
        out.append("NULL");
      } else {
        e.setLength(0);
        text(element, holder, 0, e);
        CopyText.quoteElement(e, out);
      }
    }
    out.append('}');
  }

  /** A value's PostgreSQL text form, from its Parquet type. */
  private static void text(PrimitiveType t, Group g, int field, StringBuilder out) {
    LogicalTypeAnnotation a = t.getLogicalTypeAnnotation();
    if (a instanceof LogicalTypeAnnotation.DecimalLogicalTypeAnnotation d) {
      BigInteger unscaled =
          switch (t.getPrimitiveTypeName()) {
            case INT32 -> BigInteger.valueOf(g.getInteger(field, 0));
            case INT64 -> BigInteger.valueOf(g.getLong(field, 0));
            default -> new BigInteger(g.getBinary(field, 0).getBytes());
          };
      out.append(new BigDecimal(unscaled, d.getScale()).toPlainString());
      return;
    }
    if (a instanceof LogicalTypeAnnotation.DateLogicalTypeAnnotation) {
      out.append(PgTemporal.dateText(g.getInteger(field, 0)));
      return;
    }
    if (a instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation ts) {
      out.append(PgTemporal.timestampText(g.getLong(field, 0), ts.isAdjustedToUTC()));
      return;
    }
    if (a instanceof LogicalTypeAnnotation.UUIDLogicalTypeAnnotation) {
      ByteBuffer b = ByteBuffer.wrap(g.getBinary(field, 0).getBytes());
      out.append(new java.util.UUID(b.getLong(), b.getLong()));
      return;
    }
    switch (t.getPrimitiveTypeName()) {
      case BOOLEAN -> out.append(g.getBoolean(field, 0) ? 't' : 'f');
      case INT32 -> out.append(g.getInteger(field, 0));
      case INT64 -> out.append(g.getLong(field, 0));
      case FLOAT -> out.append(g.getFloat(field, 0));
      case DOUBLE -> out.append(g.getDouble(field, 0));
      case BINARY, FIXED_LEN_BYTE_ARRAY -> {
        if (a == null) { // bytea
          out.append("\\x").append(HexFormat.of().formatHex(g.getBinary(field, 0).getBytes()));
        } else { // STRING, JSON: UTF-8 text
          out.append(g.getBinary(field, 0).toStringUsingUTF8());
        }
      }
      default -> throw new IllegalArgumentException("hose writes no " + t + " columns");
    }
  }

  /** A seekable channel (S3 or local) as parquet-java's input file. */
  private record ChannelFile(SeekableByteChannel channel) implements InputFile {
    @Override
    public long getLength() throws IOException {
      return channel.size();
    }

    @Override
    public SeekableInputStream newStream() {
      return new DelegatingSeekableInputStream(java.nio.channels.Channels.newInputStream(channel)) {
        @Override
        public long getPos() throws IOException {
          return channel.position();
        }

        @Override
        public void seek(long newPos) throws IOException {
          channel.position(newPos);
        }
      };
    }
  }
}
