package dev.hose.common;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/** The JSON configuration hose reads and writes its own documents with. */
public final class Json {
  /** For reading, and for compact writing. */
  public static final ObjectMapper MAPPER = new ObjectMapper();

  /** For documents people read too (manifests, summaries): indented. */
  public static final ObjectMapper PRETTY =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** For result lines, where an absent field says more than a null (detect's detections). */
  public static final ObjectMapper WITHOUT_NULLS =
      new ObjectMapper().setSerializationInclusion(JsonInclude.Include.NON_NULL);

  private Json() {}
}
