package dev.hose.archive;

import dev.hose.common.UserError;

/**
 * The check on {@code --where}: it must stay one condition inside the parentheses the planner wraps
 * it in. It rejects a condition that would end the statement, comment out the rest of it, or close
 * those parentheses (e.g. {@code true) OR (true}, which would make every range read every row).
 * Quoted strings, quoted identifiers and dollar-quoted strings are skipped as PostgreSQL reads
 * them. The condition also runs in a read-only transaction, so it cannot write.
 */
final class WhereCheck {
  private WhereCheck() {}

  /** Returns {@code where}, or null when it is blank; throws {@link UserError} when it escapes. */
  static String check(String where) {
    if (where == null || where.isBlank()) {
      return null;
    }
    int depth = 0;
    int n = where.length();
    for (int i = 0; i < n; i++) {
      char c = where.charAt(i);
      if (c == '\'' || c == '"') {
        i = closingQuote(where, i, c, c == '\'' && escapeString(where, i));
      } else if (c == '$' && (i == 0 || !isIdentifierChar(where.charAt(i - 1)))) {
        i = dollarQuoteEnd(where, i);
      } else if (c == ';') {
        throw new UserError("--where must be one SQL condition (no ';')");
      } else if ((c == '-' || c == '/')
          && i + 1 < n
          && where.charAt(i + 1) == (c == '-' ? '-' : '*')) {
        throw new UserError("--where must not hold SQL comments ('--' or '/*')");
      } else if (c == '(') {
        depth++;
      } else if (c == ')' && --depth < 0) {
        throw new UserError("--where closes a parenthesis it did not open");
      }
    }
    if (depth != 0) {
      throw new UserError("--where leaves a parenthesis open");
    }
    return where;
  }

  /** Whether the quote at {@code quote} opens an {@code E'…'} string, where backslash escapes. */
  private static boolean escapeString(String s, int quote) {
    return quote > 0
        && (s.charAt(quote - 1) == 'E' || s.charAt(quote - 1) == 'e')
        && (quote < 2 || !Character.isLetterOrDigit(s.charAt(quote - 2)));
  }

  private static int closingQuote(String s, int open, char quote, boolean backslashes) {
    for (int i = open + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (backslashes && c == '\\') {
        i++;
      } else if (c == quote) {
        if (i + 1 < s.length() && s.charAt(i + 1) == quote) {
          i++;
        } else {
          return i;
        }
      }
    }
    throw new UserError("--where has an unterminated " + quote + " quote");
  }

  /**
   * The index of the last character of the dollar-quoted string that opens at {@code dollar}, or
   * {@code dollar} itself when no tag opens there ({@code $1} is a parameter, not a tag).
   */
  private static int dollarQuoteEnd(String s, int dollar) {
    int tagEnd = s.indexOf('$', dollar + 1);
    if (tagEnd < 0) {
      return dollar;
    }
    String tag = s.substring(dollar, tagEnd + 1);
    boolean isTag =
        tag.substring(1, tag.length() - 1).chars().allMatch(ch -> isIdentifierChar((char) ch))
            && (tag.length() == 2 || !Character.isDigit(tag.charAt(1)));
    if (!isTag) {
      return dollar;
    }
    int close = s.indexOf(tag, tagEnd + 1);
    if (close < 0) {
      throw new UserError("--where has an unterminated " + tag + " string");
    }
    return close + tag.length() - 1;
  }

  private static boolean isIdentifierChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '$';
  }
}
