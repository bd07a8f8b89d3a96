package dev.hose.detect;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** JSON for result and failure lines. */
final class Json {
  private static final ObjectMapper MAPPER = dev.hose.common.Json.WITHOUT_NULLS;

  private Json() {}

  static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }

  static JsonNode read(String json) throws JsonProcessingException {
    return MAPPER.readTree(json);
  }
}
