package dev.hose.restore;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.List;

/**
 * Checks that a JSON line is one object whose keys are exactly the manifest's columns, in order.
 */
final class LineShape {
  private static final JsonFactory FACTORY = new JsonFactory();

  private final String[] names;

  LineShape(List<String> names) {
    this.names = names.toArray(new String[0]);
  }

  /** Null if the line has the right shape, else what is wrong with it. */
  String problem(String line) {
    try (JsonParser p = FACTORY.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return "not a JSON object";
      }
      int i = 0;
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        if (t != JsonToken.FIELD_NAME) {
          return "not a JSON object";
        }
        if (i >= names.length) {
          return "more keys than the manifest's " + names.length + " columns";
        }
        if (!names[i].equals(p.currentName())) {
          return "key "
              + (i + 1)
              + " is \""
              + p.currentName()
              + "\", expected \""
              + names[i]
              + "\"";
        }
        i++;
        p.nextToken();
        p.skipChildren();
      }
      if (i != names.length) {
        return i + " keys, the manifest has " + names.length + " columns";
      }
      if (p.nextToken() != null) {
        return "more than one JSON value on the line";
      }
      return null;
    } catch (JsonProcessingException e) {
      return "not valid JSON: " + e.getOriginalMessage();
    } catch (IOException e) {
      return "not valid JSON: " + e.getMessage();
    }
  }
}
