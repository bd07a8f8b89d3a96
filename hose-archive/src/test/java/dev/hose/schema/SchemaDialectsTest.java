package dev.hose.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hose.archive.ArchiveManifest;
import dev.hose.archive.ParquetColumns;
import dev.hose.archive.PgType;
import dev.hose.common.UserError;
import dev.hose.restore.ArchivedTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each dialect's DDL for one manifest with every kind of column, against its golden file in
 * src/test/resources/schema/ ({@code -Dhose.schema.write=true} rewrites them; review the diff).
 */
class SchemaDialectsTest {
  private static final Path GOLDEN =
      Path.of(System.getProperty("basedir", "."), "src/test/resources/schema");
  private static final String DIR = "s3://lake/raw/sales.Order Items/dt=2026-12-02/";

  @ParameterizedTest
  @EnumSource(Dialect.class)
  void eachDialectWritesItsGoldenDdl(Dialect dialect) throws Exception {
    assertGolden(dialect, ArchiveManifest.parse(resource("_manifest.json")), ".sql");
  }

  /** The same table archived as Parquet, with one column that fell back to its text form. */
  @ParameterizedTest
  @EnumSource(Dialect.class)
  void eachDialectWritesItsGoldenDdlForParquet(Dialect dialect) throws Exception {
    ArchiveManifest m = ArchiveManifest.parse(resource("_manifest.json"));
    List<ArchiveManifest.Column> columns = new ArrayList<>();
    for (ArchiveManifest.Column c : m.columns()) {
      boolean fellBack =
          c.type().startsWith("numeric(") && columns.stream().noneMatch(x -> x.fallback() != null);
      columns.add(
          new ArchiveManifest.Column(
              c.name(),
              c.type(),
              c.nullable(),
              fellBack ? "holds NaN or infinity, which DECIMAL cannot" : null));
    }
    ArchiveManifest parquet =
        new ArchiveManifest(
            m.format(),
            m.runId(),
            m.schema(),
            m.table(),
            m.source(),
            m.serverVersion(),
            m.startedAt(),
            m.finishedAt(),
            m.snapshot(),
            m.partitioning(),
            m.filter(),
            m.filterParameters(),
            ArchiveManifest.PARQUET,
            "zstd",
            ParquetColumns.schema(columns).toString(),
            columns,
            m.rowCount(),
            m.jsonBytes(),
            m.compressedBytes(),
            m.shards().stream()
                .map(
                    s ->
                        new ArchiveManifest.Shard(
                            s.path().replaceAll("\\.jsonl.*", ".parquet"),
                            s.rows(),
                            s.jsonBytes(),
                            s.compressedBytes(),
                            s.sha256()))
                .toList());
    assertGolden(dialect, ArchiveManifest.parse(parquet.toJson()), ".parquet.sql");
  }

  private static void assertGolden(Dialect dialect, ArchiveManifest manifest, String suffix)
      throws Exception {
    ArchivedTable table = new ArchivedTable(DIR, manifest);
    Dialect.QualifiedName name =
        dialect == Dialect.POSTGRES
            ? new Dialect.QualifiedName("sales", "Order Items")
            : new Dialect.QualifiedName(null, "Order Items");
    String ddl = dialect.ddl(name, table);
    Path golden = GOLDEN.resolve(dialect.label() + suffix);
    if (Boolean.getBoolean("hose.schema.write")) {
      Files.writeString(golden, ddl);
    }
    assertEquals(Files.readString(golden), ddl, golden + " (-Dhose.schema.write=true rewrites it)");
  }

  @Test
  void typesAreSortedByWhatTheJsonHolds() {
    assertEquals(new PgType(PgType.Kind.NUMERIC, 12, 2, false), PgType.parse("numeric(12,2)"));
    assertEquals(new PgType(PgType.Kind.NUMERIC, 0, 0, false), PgType.parse("numeric"));
    assertEquals(
        new PgType(PgType.Kind.TIMESTAMPTZ, 0, 0, true),
        PgType.parse("timestamp(3) with time zone[]"));
    assertEquals(PgType.Kind.TIMESTAMP, PgType.parse("timestamp without time zone").kind());
    assertEquals(PgType.Kind.TEXT, PgType.parse("character varying(20)").kind());
    assertEquals(PgType.Kind.OTHER, PgType.parse("time with time zone").kind());
    assertEquals(PgType.Kind.OTHER, PgType.parse("\"Custom Type\"").kind());
    assertEquals(PgType.Kind.OTHER, PgType.parse("billing.currency").kind());
    assertEquals(true, PgType.parse("numeric(38,0)").boundedDecimal());
    assertEquals(false, PgType.parse("numeric(39,0)").boundedDecimal());
  }

  @Test
  void anUnknownDialectIsOneLine() {
    assertEquals(
        "--dialect must be one of duckdb, athena, spark, postgres, not 'hive'",
        assertThrows(UserError.class, () -> Dialect.of("hive")).getMessage());
  }

  private static String resource(String name) throws Exception {
    return new String(
        Objects.requireNonNull(SchemaDialectsTest.class.getResourceAsStream("/schema/" + name))
            .readAllBytes(),
        StandardCharsets.UTF_8);
  }
}
