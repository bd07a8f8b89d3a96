package dev.hose.common;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * hose's logging, set up in code: logback finds it through {@code
 * META-INF/services/ch.qos.logback.classic.spi.Configurator}, which spares every start the parsing
 * of an XML configuration (about half a second). hose at INFO, libraries at WARN, on stderr. {@code
 * -Dlogback.configurationFile=...} still wins, and a {@code logback-test.xml} on the class path
 * (the tests') is used instead.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase
    implements ch.qos.logback.classic.spi.Configurator {

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (LogSetup.class.getClassLoader().getResource("logback-test.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n");
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
    root.addAppender(stderr);
    context.getLogger("dev.hose").setLevel(Level.INFO);
    context.getLogger("org.apache.beam.runners.flink").setLevel(Level.WARN);
    context.getLogger("org.apache.flink").setLevel(Level.WARN);
    // After a successful write, Beam deletes its temp directory, then warns that it found no temp
    // files to delete under it: noise that reads like a problem. Errors still show.
    context.getLogger("org.apache.beam.sdk.io.FileBasedSink").setLevel(Level.ERROR);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
