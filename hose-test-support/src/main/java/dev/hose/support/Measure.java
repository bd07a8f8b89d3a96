package dev.hose.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A measurement-style check: it asserts on what the machine does (resident memory, heap headroom,
 * classloaders left after GCs) rather than on what the code returns, so a busy or small machine can
 * fail it without a change to blame. It runs with {@code mvn verify -Pmeasure}, and with {@code
 * -Pfaults} (CI's command); a plain {@code mvn verify} leaves it out.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("measure")
public @interface Measure {}
