package dev.hose.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;

/** The rows of a Parquet shard in a test, with parquet-java's own reader (not hose's). */
final class ParquetRows {
  private ParquetRows() {}

  /** Gives each row's first column, as text, to {@code row}; a damaged file throws. */
  static void forEachFirstColumn(byte[] file, Consumer<String> row) throws IOException {
    Path tmp = Files.createTempFile("shard-", ".parquet");
    try {
      Files.write(tmp, file);
      try (ParquetFileReader r =
          ParquetFileReader.open(
              new LocalInputFile(tmp),
              ParquetReadOptions.builder(new PlainParquetConfiguration())
                  .withCodecFactory(new ParquetCodecs(0))
                  .build())) {
        MessageType schema = r.getFooter().getFileMetaData().getSchema();
        MessageColumnIO io = new ColumnIOFactory().getColumnIO(schema);
        for (PageReadStore pages = r.readNextRowGroup();
            pages != null;
            pages = r.readNextRowGroup()) {
          RecordReader<Group> records = io.getRecordReader(pages, new GroupRecordConverter(schema));
          for (long i = 0; i < pages.getRowCount(); i++) {
            row.accept(records.read().getValueToString(0, 0));
          }
        }
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
