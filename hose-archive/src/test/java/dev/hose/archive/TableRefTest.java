package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hose.common.UserError;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableRefTest {
  @Test
  void parsesSchemaAndTableAsTheCatalogSpellsThem() {
    assertEquals(new TableRef("sales", "Order Items"), TableRef.parse("sales.Order Items"));
    assertEquals(new TableRef("public", "orders"), TableRef.parse("orders"));
    assertEquals(new TableRef("Größe", "Ünïcode_1$"), TableRef.parse("Größe.Ünïcode_1$"));
    assertEquals(
        List.of(new TableRef("public", "a"), new TableRef("b", "c")),
        TableRef.parseList("public.a, b.c"));
  }

  @Test
  void quotesIdentifiersForSql() {
    assertEquals("\"sales\".\"Order Items\"", new TableRef("sales", "Order Items").quoted());
    assertEquals("sales.Order Items", new TableRef("sales", "Order Items").dirName());
  }

  @Test
  void acceptsThePsqlSpellingWithDoubleQuotes() {
    assertEquals(new TableRef("sales", "Order Items"), TableRef.parse("sales.\"Order Items\""));
    assertEquals(new TableRef("MixedCase", "orders"), TableRef.parse("\"MixedCase\".orders"));
    assertEquals(new TableRef("public", "orders"), TableRef.parse("public.\"orders\""));
    assertEquals(
        List.of(new TableRef("sales", "Order Items"), new TableRef("x", "Y z")),
        TableRef.parseList("sales.\"Order Items\", x.\"Y z\""));
  }

  @Test
  void refusesNamesThatAreNotPlainIdentifiers() {
    for (String bad :
        List.of(
            "orders; drop table x",
            "public.\"orders\"\"; drop table x; --\"",
            "public.\"unterminated",
            "public.ab\"cd\"",
            "\"a\".\"b\".\"c\"",
            "\"a.b\".c",
            "x.\"y,z\"",
            "a.b.c",
            "o'rders",
            "../etc",
            "x/y",
            "tab\tle",
            "public. padded",
            "")) {
      assertThrows(UserError.class, () -> TableRef.parseList(bad), bad);
    }
    assertThrows(UserError.class, () -> TableRef.parseList("a,a"));
    assertThrows(UserError.class, () -> TableRef.identifier("x".repeat(64), "column"));
  }
}
