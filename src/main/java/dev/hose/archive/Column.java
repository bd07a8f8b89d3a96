package dev.hose.archive;

import java.io.Serializable;

/**
 * One column of an archived table: its name, its PostgreSQL type as {@code format_type} spells it,
 * and how its values become JSON.
 *
 * @param elementKind for arrays, the kind of the elements; otherwise null
 * @param elementDelimiter for arrays, the element type's delimiter (',' for all but box)
 */
public record Column(
    String name,
    String type,
    boolean notNull,
    JsonKind kind,
    JsonKind elementKind,
    char elementDelimiter)
    implements Serializable {}
