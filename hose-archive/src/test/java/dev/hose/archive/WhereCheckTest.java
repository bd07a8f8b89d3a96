package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hose.common.UserError;
import org.junit.jupiter.api.Test;

/** --where stays one condition inside its parentheses, whatever its strings hold. */
class WhereCheckTest {
  @Test
  void conditionsThatStayInsideTheirParenthesesPass() {
    for (String ok :
        new String[] {
          "kind <> 'k0'",
          "(a = 1 OR b = 2) AND c IN (1, 2)",
          "v <> 'x'';--)' AND v <> ')('",
          "v <> $$a); DROP TABLE t; --$$",
          "v <> $tag$ ) $$ ; $tag$",
          "v <> E'it\\'s ); --'",
          "\"we\"\"ird)\" IS NOT NULL",
          "price > $1" // a positional-looking token is left to the server
        }) {
      assertEquals(ok, WhereCheck.check(ok), ok);
    }
  }

  @Test
  void escapesStatementsAndCommentsAreRefused() {
    for (String bad :
        new String[] {
          "true) OR (true",
          "true)) UNION SELECT 1",
          "(true",
          "true; DROP TABLE t",
          "id > 0 -- rest",
          "id > 0 /* x */",
          "v <> 'unterminated",
          "v <> $$unterminated",
          "v <> E'\\' ) OR (true"
        }) {
      assertThrows(UserError.class, () -> WhereCheck.check(bad), bad);
    }
  }

  @Test
  void blankMeansNoCondition() {
    assertEquals(null, WhereCheck.check("  "));
  }
}
