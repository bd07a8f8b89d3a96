package dev.hose.support.faults;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A fault-suite test: one row of the fault report. The test injects the fault one or more times and
 * tells the injected {@link FaultLog} what each run lost and left behind; a test that throws counts
 * as a run that did not survive. Fault tests live in classes named {@code *FaultsIT}, which run
 * only with {@code mvn verify -Pfaults}.
 *
 * <pre>{@code
 * @Fault(job = "archive", value = "database connection killed mid-range")
 * void connectionKilled(FaultLog fault) { ... fault.run(rowsLost, bytesLost, leftovers, "failed cleanly, exit 1"); }
 * }</pre>
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Test
@Tag("faults")
@ExtendWith(FaultLog.Extension.class)
public @interface Fault {
  /** {@code archive} or {@code detect}. */
  String job();

  /** The fault, as the report's first column shows it. */
  String value();
}
