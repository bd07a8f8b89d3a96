package dev.hose.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code docs/manifest.schema.json}, the manifest's published JSON Schema, as the tests check every
 * manifest they write against it (formats such as {@code date-time} asserted, not just noted).
 */
public final class ManifestSchema {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static JsonSchema schema;

  private ManifestSchema() {}

  /** The schema's file in the checkout. */
  public static Path file() {
    return Checkout.root().resolve("docs/manifest.schema.json");
  }

  /** The schema itself, as JSON. */
  public static JsonNode document() {
    try {
      return JSON.readTree(file().toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Fails naming {@code where} and every violation when {@code manifest} does not conform. */
  public static void assertValid(String where, String manifest) {
    try {
      assertValid(where, JSON.readTree(manifest));
    } catch (IOException e) {
      throw new AssertionError(where + " is not JSON: " + e.getMessage(), e);
    }
  }

  public static void assertValid(String where, JsonNode manifest) {
    Set<ValidationMessage> problems = schema().validate(manifest);
    if (!problems.isEmpty()) {
      throw new AssertionError(where + " does not match docs/manifest.schema.json: " + problems);
    }
  }

  /** Checks the manifest file at {@code path}. */
  public static void assertValid(Path path) {
    try {
      assertValid(path.toString(), Files.readString(path));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static synchronized JsonSchema schema() {
    if (schema == null) {
      SchemaValidatorsConfig config =
          SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
      schema =
          JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
              .getSchema(document(), config);
    }
    return schema;
  }
}
