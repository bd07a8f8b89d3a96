package dev.hose.archive;

import dev.hose.common.JdbcUrls;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The launcher's side of one consistent snapshot: a read-only transaction that exports its
 * snapshot, plans every table on it, and stays open (kept alive) while the ranges import it; then
 * ends. Closing it ends the transaction and closes the launcher's connection pool.
 */
final class LauncherSnapshot implements AutoCloseable {
  private static final Logger LOG =
      LoggerFactory.getLogger(ArchivePipeline.class); // archive's log, as users read it

  /** The tables planned on one snapshot: their plans, all their ranges, and the widest row. */
  record Planned(
      String snapshotId,
      String serverVersion,
      Standby standby,
      Map<TableRef, TablePlan> plans,
      List<ExportRange> ranges,
      long rowBytes) {}

  private final DataSource pool;
  private final SourceSession session;
  private KeepAlive keepAlive;

  private LauncherSnapshot(DataSource pool, SourceSession session) {
    this.pool = pool;
    this.session = session;
  }

  /** Opens the read-only transaction, or says in one line why the database cannot be reached. */
  static LauncherSnapshot open(JdbcIO.DataSourceConfiguration source, ArchiveOptions options)
      throws Exception {
    DataSource pool = source.buildDatasource();
    try {
      return new LauncherSnapshot(
          pool, SourceSession.begin(pool, null, 0, options.getLockTimeoutSeconds()));
    } catch (SQLException e) {
      closePool(pool);
      throw JdbcUrls.cannotConnect(options.getJdbcUrl(), options.getUsername(), e);
    } catch (RuntimeException | Error e) {
      closePool(pool);
      throw e;
    }
  }

  /** Cuts the connection under whatever statement runs: what a stop from outside does. */
  void abort() {
    session.abort();
  }

  /**
   * Exports the snapshot, plans every table on it into bounded ranges, and from then on keeps the
   * transaction from being ended by {@code idle_in_transaction_session_timeout}.
   */
  Planned plan(Map<TableRef, TableSettings> settings, ArchiveOptions options, String runId)
      throws SQLException {
    Connection c = session.connection();
    String snapshotId = query(c, "SELECT pg_export_snapshot()");
    String serverVersion = query(c, "SHOW server_version");
    LOG.info("run {}: snapshot {} on PostgreSQL {}", runId, snapshotId, serverVersion);
    keepAlive = new KeepAlive(c);
    Standby standby = Standby.detect(c);
    standby.log(LOG);
    Map<TableRef, TablePlan> plans = new LinkedHashMap<>();
    List<ExportRange> ranges = new ArrayList<>();
    TablePlanner planner = new TablePlanner(c, options);
    long rowBytes = 0;
    for (TableRef table : settings.keySet()) {
      TablePlanner.Planned planned =
          planTable(planner, table, settings.get(table), options, standby);
      plans.put(table, planned.plan());
      ranges.addAll(planned.ranges());
      rowBytes = Math.max(rowBytes, planned.rowBytes());
    }
    // Planning may scan whole tables; from here on the connection only keeps the snapshot.
    c.setNetworkTimeout(
        Runnable::run, ExportSettings.networkTimeoutMillis(options.getDbReadTimeoutSeconds(), 0));
    return new Planned(snapshotId, serverVersion, standby, plans, ranges, rowBytes);
  }

  private static TablePlanner.Planned planTable(
      TablePlanner planner,
      TableRef table,
      TableSettings settings,
      ArchiveOptions options,
      Standby standby)
      throws SQLException {
    TablePlanner.Planned planned;
    try {
      planned = planner.plan(table, settings);
    } catch (SQLException e) {
      throw Standby.explain(
          SourceSession.explain(e, table, 0, options.getLockTimeoutSeconds()),
          standby.inRecovery());
    }
    LOG.info(
        "{}: ~{} rows, {} ranges by {}{}",
        table,
        String.format("%,d", planned.plan().estimatedRows()),
        planned.ranges().size(),
        planned.plan().strategy(),
        planned.plan().partitionColumn() == null ? "" : " " + planned.plan().partitionColumn());
    return planned;
  }

  /**
   * Ends the transaction. A run that got this far has had every range import the snapshot (a range
   * that starts after it is gone fails), so a transaction that WAL replay or the network ended
   * first changed nothing the run wrote: said, not fatal.
   */
  @Override
  public void close() throws Exception {
    if (keepAlive != null) {
      keepAlive.close();
    }
    try {
      session.close();
    } catch (SQLException e) {
      LOG.info(
          "the snapshot's transaction had already ended: {}",
          String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    } finally {
      closePool(pool);
    }
  }

  private static void closePool(DataSource pool) throws Exception {
    if (pool instanceof AutoCloseable closeable) {
      closeable.close();
    }
  }

  private static String query(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** Runs {@code SELECT 1} on the snapshot's connection every 30 s until closed. */
  private static final class KeepAlive implements AutoCloseable {
    private final ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "hose-snapshot-keepalive");
              t.setDaemon(true);
              return t;
            });

    KeepAlive(Connection c) {
      timer.scheduleWithFixedDelay(
          () -> {
            try {
              query(c, "SELECT 1");
            } catch (SQLException e) {
              LOG.warn("the snapshot's transaction ended: {}", e.getMessage());
              timer.shutdown();
            }
          },
          30,
          30,
          TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      timer.shutdownNow();
    }
  }
}
