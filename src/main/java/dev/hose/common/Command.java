package dev.hose.common;

/** One subcommand of the hose CLI. */
public interface Command {
  /** The word that selects this command, e.g. {@code archive}. */
  String name();

  /** One line for the usage text. */
  String summary();

  /**
   * Runs the command. Throws {@link UserError} for bad input; any other exception is a failure.
   * Returns the process exit code.
   */
  int run(String[] args) throws Exception;
}
