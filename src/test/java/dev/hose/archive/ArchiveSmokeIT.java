package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hose.common.CommandLine;
import dev.hose.support.TestServers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveSmokeIT {
  @TempDir Path dir;

  @Test
  void archivesToS3() throws Exception {
    try (TestServers servers = TestServers.start(dir)) {
      servers.sql(
          "create table orders (id bigint primary key, note text, at timestamptz)",
          "insert into orders select g, 'n' || g, now() from generate_series(1, 2500) g");
      List<String> args = new ArrayList<>(servers.archiveArgs());
      args.add("--tables=public.orders");
      args.add("--output=s3://hose/smoke/");
      args.add("--maxRowsPerBundle=1000");
      var summaries = ArchivePipeline.run(CommandLine.parse(args.toArray(new String[0]), ArchiveOptions.class));
      System.out.println(summaries);
      System.out.println(servers.keys(""));
      assertEquals(2500, summaries.get(0).rows());
    }
  }
}
