package dev.hose.common;

import org.apache.beam.sdk.options.PipelineOptions;

/** One subcommand of the hose CLI. */
public interface Command {
  /** The word that selects this command, e.g. {@code archive}. */
  String name();

  /** One line for the usage text. */
  String summary();

  /** The options interface that {@code --help} describes; null when the command has its own. */
  default Class<? extends PipelineOptions> options() {
    return null;
  }

  /**
   * Runs the command. Throws {@link UserError} for bad input; any other exception is a failure.
   * Returns the process exit code.
   */
  int run(String[] args) throws Exception;
}
