package dev.hose;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hose.common.Cli;
import dev.hose.common.Command;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/** hose.jar: every module's commands, found through their service files. */
class HoseCommandsTest {
  @Test
  void hoseJarHasEveryCommandInHelpOrder() {
    assertEquals(
        List.of("archive", "verify", "restore", "schema", "detect", "demo", "sandbox"),
        Cli.standard().commands().stream().map(Command::name).toList());
  }

  /**
   * Beam refuses an options proxy whose interfaces declare one property with different annotations,
   * and hose.jar (the demo: archive, then detect) meets every command's options in one JVM.
   */
  @Test
  void everyCommandsOptionsLiveTogetherInOneJvm() {
    PipelineOptions all = PipelineOptionsFactory.create();
    for (Command c : Cli.standard().commands()) {
      if (c.options() != null) {
        all = all.as(c.options());
      }
    }
    assertEquals(7, Cli.standard().commands().size());
  }
}
