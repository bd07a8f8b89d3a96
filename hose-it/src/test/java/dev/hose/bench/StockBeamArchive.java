package dev.hose.bench;

import java.sql.ResultSet;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The benchmark's stock-Beam baseline: {@code JdbcIO.readWithPartitions} (ranges of 25k rows on the
 * key) into {@code TextIO.write().withCompression(GZIP)}, on DirectRunner. The JSON is made by the
 * server ({@code row_to_json}), which only makes this baseline cheaper. Prints {@code rows read N}
 * every second, so a run that runs out of memory or time shows how far it got.
 *
 * <p>Usage: {@code StockBeamArchive JDBC_URL USER PASSWORD_ENV TABLE ROWS OUTPUT_PREFIX}
 */
public final class StockBeamArchive {
  private static final AtomicLong ROWS_READ = new AtomicLong();

  /** A named class: JdbcIO's display data fails on lambdas. */
  static final class JsonColumn implements JdbcIO.RowMapper<String> {
    @Override
    public String mapRow(ResultSet rs) throws Exception {
      ROWS_READ.incrementAndGet();
      return rs.getString("json");
    }
  }

  public static void main(String[] args) {
    String url = args[0];
    String user = args[1];
    String password = System.getenv(args[2]);
    String table = args[3];
    long rows = Long.parseLong(args[4]);
    String output = args[5];
    Thread progress =
        new Thread(
            () -> {
              while (true) {
                try {
                  Thread.sleep(1000);
                } catch (InterruptedException e) {
                  return;
                }
                System.out.println("rows read " + ROWS_READ.get());
              }
            },
            "progress");
    progress.setDaemon(true);
    progress.start();
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    p.apply(
            "ReadWithPartitions",
            JdbcIO.<String>readWithPartitions()
                .withDataSourceConfiguration(
                    JdbcIO.DataSourceConfiguration.create("org.postgresql.Driver", url)
                        .withUsername(user)
                        .withPassword(password))
                .withTable("(SELECT id, row_to_json(b)::text AS json FROM " + table + " b) AS s")
                .withPartitionColumn("id")
                .withLowerBound(1L)
                .withUpperBound(rows + 1)
                .withNumPartitions((int) Math.max(1, rows / 25_000))
                .withRowMapper(new JsonColumn())
                .withCoder(StringUtf8Coder.of()))
        .apply(
            "WriteGzip",
            TextIO.write().to(output).withSuffix(".jsonl").withCompression(Compression.GZIP));
    p.run().waitUntilFinish();
    System.out.println("rows read " + ROWS_READ.get());
  }
}
