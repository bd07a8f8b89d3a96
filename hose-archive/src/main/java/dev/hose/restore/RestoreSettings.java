package dev.hose.restore;

import dev.hose.common.Secrets;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * How the launcher and the workers reach the target database. Only the password's reference travels
 * in the job; each JVM reads the password itself.
 */
record RestoreSettings(String jdbcUrl, String username, Secrets.SecretRef password)
    implements Serializable {
  static RestoreSettings of(RestoreOptions options) {
    return new RestoreSettings(
        options.getJdbcUrl(),
        options.getUsername(),
        Secrets.of(options.getPasswordEnv(), options.getPasswordFile()));
  }

  /**
   * A connection with autocommit on, text transfer, and a session whose input parsing does not
   * depend on the server's defaults (ISO dates, year-month-day order).
   */
  Connection connect() throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", username);
    String secret = password.get();
    if (secret != null) {
      p.setProperty("password", secret);
    }
    p.setProperty("ApplicationName", "hose-restore");
    p.setProperty("connectTimeout", "15");
    p.setProperty("tcpKeepAlive", "true");
    // The driver itself, not DriverManager: on a Flink TaskManager DriverManager does not look in
    // the job's jar, and restore's workers found "no suitable driver" for the URL.
    Connection c = new org.postgresql.Driver().connect(jdbcUrl, p);
    if (c == null) {
      throw new SQLException("not a PostgreSQL JDBC URL: " + jdbcUrl);
    }
    try (Statement s = c.createStatement()) {
      s.execute("SET DateStyle = 'ISO, YMD'");
      s.execute("SET TimeZone = 'UTC'");
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }
}
