package dev.hose.common;

import dev.hose.archive.ArchiveCommand;
import dev.hose.demo.DemoCommand;
import dev.hose.demo.SandboxCommand;
import dev.hose.detect.DetectCommand;
import dev.hose.restore.RestoreCommand;
import dev.hose.restore.VerifyCommand;
import java.io.PrintStream;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Dispatches {@code hose COMMAND args...} and turns failures into one clear line on stderr and a
 * non-zero exit code: 2 for bad input, 1 for a failed run. Set {@code HOSE_DEBUG=1} for stack
 * traces.
 */
public final class Cli {
  private final Map<String, Command> commands = new LinkedHashMap<>();
  private final PrintStream err;

  public Cli(List<Command> commands, PrintStream err) {
    for (Command c : commands) {
      this.commands.put(c.name(), c);
    }
    this.err = err;
  }

  /** The commands this jar ships. */
  public static Cli standard() {
    return new Cli(
        List.of(
            new ArchiveCommand(), new DetectCommand(), new DemoCommand(), new SandboxCommand(),
            new VerifyCommand(), new RestoreCommand()),
        System.err);
  }

  public int execute(String[] args) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
      usage();
      return args.length == 0 ? 2 : 0;
    }
    Command command = commands.get(args[0]);
    if (command == null) {
      err.println("hose: unknown command '" + args[0] + "'");
      usage();
      return 2;
    }
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    try {
      return command.run(rest);
    } catch (Throwable t) {
      if (System.getenv("HOSE_DEBUG") != null) {
        t.printStackTrace(err);
      }
      UserError userError = find(t, UserError.class);
      err.println("hose " + command.name() + ": error: " + describe(t));
      return userError != null ? 2 : 1;
    }
  }

  /** The most useful single line about why {@code t} happened. */
  public static String describe(Throwable t) {
    UserError userError = find(t, UserError.class);
    if (userError != null) {
      return oneLine(userError.getMessage());
    }
    OutOfMemoryError oom = find(t, OutOfMemoryError.class);
    if (oom != null) {
      return "out of memory ("
          + oneLine(oom.getMessage())
          + ", this JVM's maximum heap is "
          + (Runtime.getRuntime().maxMemory() >> 20)
          + " MB): give it more with -Xmx, or run less at once";
    }
    SQLException sql = find(t, SQLException.class);
    if (sql != null) {
      return "database: " + oneLine(sql.getMessage());
    }
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + oneLine(message));
  }

  static <T extends Throwable> T find(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }

  private static String oneLine(String s) {
    if (s == null) {
      return "";
    }
    return s.replaceAll("\\s*\\R\\s*", " ").strip();
  }

  private void usage() {
    err.println("usage: java -jar hose.jar COMMAND [--option=value ...]");
    for (Command c : commands.values()) {
      err.printf("  %-10s %s%n", c.name(), c.summary());
    }
    err.println("Add --help after a command for its options.");
  }
}
