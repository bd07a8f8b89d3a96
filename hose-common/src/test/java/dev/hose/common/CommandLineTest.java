package dev.hose.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandLineTest {
  @TempDir Path dir;

  @Test
  void runnerConfigFillsOptionsAndTheCommandLineWins() throws Exception {
    Path config = dir.resolve("c.properties");
    Files.writeString(
        config, "# where to run\nrunner=DirectRunner\ntargetParallelism=3\njobName=from-file\n");
    List<String> args =
        List.of(
            CommandLine.withDefaults(
                new String[] {"--runnerConfig=" + config, "--targetParallelism=5"}, JobJar.ALL));
    assertTrue(args.contains("--targetParallelism=5"));
    assertTrue(!args.contains("--targetParallelism=3"));
    assertTrue(args.contains("--runner=DirectRunner"));
    assertTrue(args.contains("--jobName=from-file"));
  }

  @Test
  void withoutRunnerConfigTheEmbeddedDirectConfigApplies() {
    List<String> args = List.of(CommandLine.withDefaults(new String[] {}, JobJar.ALL));
    assertTrue(args.contains("--runner=DirectRunner"), args.toString());
    assertTrue(
        args.contains("--s3ClientFactoryClass=" + PathStyleS3ClientBuilderFactory.class.getName()));
    assertTrue(args.contains("--s3UploadBufferSizeBytes=" + (8 << 20)));
  }

  @Test
  void embeddedDefaultIsTheRepositoryFile() throws Exception {
    assertEquals(
        CommandLine.readConfig(Path.of("runner-configs/direct.properties"), JobJar.ALL),
        CommandLine.defaultConfig(JobJar.ALL));
  }

  @Test
  void s3PathsNeedARegion() {
    assertThrows(
        UserError.class,
        () -> CommandLine.checkS3Region(new String[] {"--output=s3://b/p/"}),
        "s3 without region");
    CommandLine.checkS3Region(new String[] {"--output=s3://b/p/", "--awsRegion=us-east-1"});
    CommandLine.checkS3Region(new String[] {"--output=/tmp/x"});
  }

  @Test
  void jarPlaceholderIsReplaced() throws Exception {
    Path config = dir.resolve("c.properties");
    Files.writeString(config, "filesToStage=${hose.jar}\n");
    assertEquals(
        JobJar.running().toString(),
        CommandLine.readConfig(config, JobJar.ALL).get("filesToStage"));
  }

  @Test
  void jobJarPlaceholderIsTheRunningJarOutsideHoseJar() throws Exception {
    Path config = dir.resolve("c.properties");
    Files.writeString(config, "filesToStage=${hose.jobJar}\n");
    // Tests run from target/classes, which is neither hose.jar nor a job jar: it stages itself.
    assertEquals(
        JobJar.running().toString(),
        CommandLine.readConfig(config, JobJar.ARCHIVE).get("filesToStage"));
  }

  @Test
  void anUnknownOptionNamesTheClosestOne() {
    assertEquals(
        "unknown option --tabels (did you mean --tables?); --help lists the options",
        CommandLine.unknownOption(
            "Class interface dev.hose.common.CommandLineTest$TablesOptions missing a property named"
                + " 'tabels'.",
            TablesOptions.class));
    assertEquals(
        "unknown option --zzzzzzzzzzzz; --help lists the options",
        CommandLine.unknownOption(
            "Class interface X missing a property named 'zzzzzzzzzzzz'.", TablesOptions.class));
  }

  @Test
  void theFlinkRunnerIsRecognizedInEveryFormBeamTakes() {
    for (String form :
        List.of(
            "FlinkRunner",
            "flink",
            "Flink",
            "flinkrunner",
            "org.apache.beam.runners.flink.FlinkRunner")) {
      assertTrue(
          CommandLine.namesFlinkRunner(new String[] {"--jobName=x", "--runner=" + form}), form);
    }
    for (String other :
        List.of(
            "--runner=DirectRunner",
            "--runner=FlinkRunnerX",
            "--runnerConfig=runner-configs/flink-cluster.properties",
            "--flinkMaster=[local]")) {
      assertTrue(!CommandLine.namesFlinkRunner(new String[] {other}), other);
    }
  }

  @Test
  void aRunWithNoS3LocationNeverAsksTheInstanceMetadataServiceForARegion() {
    String before = System.clearProperty(CommandLine.NO_INSTANCE_METADATA);
    try {
      CommandLine.avoidInstanceMetadata(new String[] {"--output=s3://b/p/"}, Map.of());
      assertEquals(null, System.getProperty(CommandLine.NO_INSTANCE_METADATA));
      CommandLine.avoidInstanceMetadata(
          new String[] {"--output=/data/"}, Map.of("AWS_EC2_METADATA_DISABLED", "false"));
      assertEquals(null, System.getProperty(CommandLine.NO_INSTANCE_METADATA), "the user's");
      CommandLine.avoidInstanceMetadata(new String[] {"--output=/data/archive/"}, Map.of());
      assertEquals("true", System.getProperty(CommandLine.NO_INSTANCE_METADATA));
    } finally {
      if (before == null) {
        System.clearProperty(CommandLine.NO_INSTANCE_METADATA);
      } else {
        System.setProperty(CommandLine.NO_INSTANCE_METADATA, before);
      }
    }
  }

  /** A command's options, as far as the closest-name hint needs them. */
  public interface TablesOptions extends PipelineOptions {
    @Description("Tables")
    String getTables();

    void setTables(String tables);

    @Description("Output")
    String getOutput();

    void setOutput(String output);
  }
}
