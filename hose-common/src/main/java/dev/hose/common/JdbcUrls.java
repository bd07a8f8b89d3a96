package dev.hose.common;

import java.sql.SQLException;

/** The checks and messages of a {@code --jdbcUrl}, the same for every command that connects. */
public final class JdbcUrls {
  private JdbcUrls() {}

  /** A PostgreSQL URL without a password in it, or a {@link UserError} saying which it is not. */
  public static void check(String url) {
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new UserError("--jdbcUrl must start with jdbc:postgresql:");
    }
    if (url.toLowerCase().contains("password=")) {
      throw new UserError(
          "--jdbcUrl must not carry a password; use --passwordEnv or --passwordFile");
    }
  }

  /** The URL without its parameters, as logs and manifests show it. */
  public static String withoutParameters(String url) {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q);
  }

  /** The one line a user gets when the database refuses or cannot be reached. */
  public static UserError cannotConnect(String url, String username, SQLException e) {
    return new UserError(
        "cannot connect to " + withoutParameters(url) + " as " + username + ": " + e.getMessage(),
        e);
  }
}
