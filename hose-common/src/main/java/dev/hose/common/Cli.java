package dev.hose.common;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Dispatches {@code hose COMMAND args...} and turns failures into one clear line on stderr and a
 * non-zero exit code: 2 for bad input, 1 for a failed run. Set {@code HOSE_DEBUG=1} for stack
 * traces.
 */
public final class Cli {
  /** Every command hose has, in the order --help lists them, and the jar that ships it. */
  private record Known(String name, JobJar jar) {}

  private static final List<Known> KNOWN =
      List.of(
          new Known("archive", JobJar.ARCHIVE),
          new Known("verify", JobJar.ARCHIVE),
          new Known("restore", JobJar.ARCHIVE),
          new Known("schema", JobJar.ARCHIVE),
          new Known("detect", JobJar.DETECT),
          new Known("demo", JobJar.ALL),
          new Known("sandbox", JobJar.ALL));

  /**
   * The jar that ships {@code command}: its job jar, or hose.jar for the demo and unknown words.
   */
  public static JobJar jarOf(String command) {
    return KNOWN.stream()
        .filter(k -> k.name().equals(command))
        .map(Known::jar)
        .findFirst()
        .orElse(JobJar.ALL);
  }

  private final Map<String, Command> commands = new LinkedHashMap<>();
  private final Map<String, JobJar> elsewhere = new LinkedHashMap<>();
  private final PrintStream err;

  public Cli(List<Command> commands, PrintStream err) {
    for (Command c : commands) {
      this.commands.put(c.name(), c);
    }
    this.err = err;
  }

  /**
   * The commands this jar ships: each module lists its own in {@code
   * META-INF/services/dev.hose.common.Command}, so a job jar finds only the commands its modules
   * hold.
   */
  public static Cli standard() {
    Map<String, Command> found = new LinkedHashMap<>();
    for (Command c : ServiceLoader.load(Command.class, Cli.class.getClassLoader())) {
      found.put(c.name(), c);
    }
    Cli cli = new Cli(List.of(), System.err);
    for (Known known : KNOWN) {
      Command command = found.remove(known.name());
      if (command != null) {
        cli.commands.put(known.name(), command);
      } else {
        cli.elsewhere.put(known.name(), known.jar());
      }
    }
    cli.commands.putAll(found);
    return cli;
  }

  /** The commands this jar ships, in the order --help lists them. */
  public List<Command> commands() {
    return List.copyOf(commands.values());
  }

  public int execute(String[] args) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
      usage();
      return args.length == 0 ? 2 : 0;
    }
    Command command = commands.get(args[0]);
    if (command == null) {
      JobJar jar = elsewhere.get(args[0]);
      if (jar != null) {
        err.println(
            "hose: "
                + args[0]
                + " is not in "
                + JobJar.running().getFileName()
                + ": run it from "
                + jar.fileName()
                + " (or hose.jar, which has every command)");
      } else {
        err.println("hose: unknown command '" + args[0] + "'");
        usage();
      }
      return 2;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    if (command.options() != null && OptionsHelp.asked(rest)) {
      System.out.print(OptionsHelp.text(command.name(), command.summary(), command.options()));
      return 0;
    }
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    try {
      return command.run(rest);
    } catch (Throwable t) {
      if (System.getenv("HOSE_DEBUG") != null) {
        t.printStackTrace(err);
      }
      Throwable shown = StopSignal.stopping() ? new StopSignal.Stopped(t) : t;
      err.println("hose " + command.name() + ": error: " + Errors.describe(shown));
      return Errors.find(t, UserError.class) != null ? 2 : 1;
    }
  }

  private void usage() {
    err.println(
        "usage: java -jar " + JobJar.running().getFileName() + " COMMAND [--option=value ...]");
    for (Command c : commands.values()) {
      err.printf("  %-10s %s%n", c.name(), c.summary());
    }
    elsewhere.forEach((name, jar) -> err.printf("  %-10s (in %s)%n", name, jar.fileName()));
    err.println("Add --help after a command for its options.");
  }
}
