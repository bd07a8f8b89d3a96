"""Job specs: reading one YAML file, checking it key by key, and naming its tables.

Every error is a SpecError whose message starts with the spec file and the line it is about,
so Airflow's import error for the spec's DAG file points at what to fix. Nothing here imports
Airflow: the rules are plain functions with plain tests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

SNAPSHOT_MODES = ("shared", "per_table")

#: Keys every spec may hold, by kind: (required, optional). `kind` itself is required.
COMMON_REQUIRED = {"kind", "dag_id", "start_date", "output"}
COMMON_OPTIONAL = {
    "description", "schedule", "catchup", "retries", "retry_delay", "execution_timeout",
    "runner_config", "s3_connection", "jvm_options",
}
KEYS = {
    "archive": (
        COMMON_REQUIRED | {"source_connection", "tables"},
        COMMON_OPTIONAL | {"defaults", "snapshot", "format", "compression"},
    ),
    "detect": (
        COMMON_REQUIRED | {"video_list", "scratch_dir"},
        COMMON_OPTIONAL | {"video_list_timeout", "detectors", "sample_fps", "allow_local_files"},
    ),
}

#: A `tables:` line (and `defaults:`): spec key -> hose archive --tableOptions key.
TABLE_OPTIONS = {
    "partition_column": "partitionColumn",
    "incremental_column": "incrementalColumn",
    "max_rows_per_bundle": "maxRowsPerBundle",
    "where": "where",
}

#: Airflow's rule for a DAG id (airflow.sdk.definitions._internal.node.KEY_REGEX, ASCII here).
DAG_ID = re.compile(r"[A-Za-z0-9_.-]{1,250}")

#: A name part that becomes part of a task group id as it is: ASCII letters and digits in words
#: joined by single underscores, so that `schema__table` splits back at its one double underscore.
_PLAIN_PART = re.compile(r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*")


class SpecError(ValueError):
    """A spec that cannot become a DAG; the message names the file and the line."""


@dataclasses.dataclass(frozen=True)
class Spec:
    """A parsed spec: its values, and the line of each key and of each item of a list."""

    path: Path
    values: dict[str, Any]
    lines: dict[tuple, int]  # ("tables", 2, "table") -> line; () -> 1

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def line(self, *path: Any) -> int:
        """The line of the deepest known node on `path` (a key, then list indexes and keys)."""
        while path not in self.lines:
            path = path[:-1]
        return self.lines[path]

    def error(self, message: str, *path: Any) -> SpecError:
        return SpecError(f"{self.path}, line {self.line(*path)}: {message}")


@dataclasses.dataclass(frozen=True)
class TableEntry:
    """One `tables:` line: the spelling as written (what --tables and hose's summary use), the
    catalog names it means, its task group id, and its --tableOptions."""

    spelling: str
    schema: str
    table: str
    group_id: str
    options: dict[str, Any]
    line: int


# ---------------------------------------------------------------------------------------------
# Reading


def read_spec(path: str | Path) -> Spec:
    """Parses one spec file and records the line of every key; checks only the YAML itself."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        values = yaml.safe_load(text)
    except FileNotFoundError:
        raise SpecError(f"{path}: no such spec file") from None
    except yaml.YAMLError as e:
        # The construct that is broken (a flow list opened there), else where parsing stopped.
        mark = getattr(e, "context_mark", None) or getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise SpecError(f"{path}{where}: not valid YAML: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(root, yaml.MappingNode) or not isinstance(values, dict):
        raise SpecError(f"{path}, line 1: a spec is a mapping of keys (kind: …, dag_id: …)")
    lines: dict[tuple, int] = {(): 1}
    _record_lines(root, (), lines, path)
    return Spec(path, values, lines)


def _record_lines(node: yaml.Node, at: tuple, lines: dict[tuple, int], path: Path) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                raise SpecError(f"{path}, line {line}: key {key!r} repeats line {seen[key]}")
            seen[key] = line
            lines[(*at, key)] = line
            _record_lines(value_node, (*at, key), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*at, index)] = item.start_mark.line + 1
            _record_lines(item, (*at, index), lines, path)


# ---------------------------------------------------------------------------------------------
# Checking


def check_keys(spec: Spec) -> str:
    """The spec's kind, once its keys are known and the required ones present."""
    kind = spec.get("kind")
    if kind not in KEYS:
        raise spec.error(f"kind must be one of {', '.join(sorted(KEYS))}, not {kind!r}", "kind")
    required, optional = KEYS[kind]
    for key in spec.values:
        if key not in required | optional:
            allowed = ", ".join(sorted(required | optional))
            raise spec.error(f"unknown key {key!r} (a {kind} spec takes: {allowed})", key)
    missing = sorted(required - spec.values.keys())
    if missing:
        raise spec.error(f"missing required key{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    return kind


def check_common(spec: Spec) -> None:
    """The keys every kind shares: values of the right type and range."""
    dag_id = spec["dag_id"]
    if not isinstance(dag_id, str) or not DAG_ID.fullmatch(dag_id):
        raise spec.error(f"dag_id {dag_id!r}: letters, digits, '_', '.', '-' only", "dag_id")
    start_date(spec)
    for key in ("output", "schedule", "description", "s3_connection", "jvm_options", "runner_config"):
        if key in spec.values and not isinstance(spec[key], str):
            raise spec.error(f"{key} must be a string", key)
    if "catchup" in spec.values and not isinstance(spec["catchup"], bool):
        raise spec.error("catchup must be true or false", "catchup")
    number(spec, "retries", minimum=0, integer=True)
    number(spec, "retry_delay", minimum=0)
    number(spec, "execution_timeout", minimum=1)


def start_date(spec: Spec) -> dt.date:
    value = spec["start_date"]
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise spec.error(f"start_date {value!r} is not a date (YYYY-MM-DD)", "start_date") from None


def number(spec: Spec, key: str, minimum: float, integer: bool = False) -> float | None:
    """The number at `key`, or None if absent; fails below `minimum`."""
    value = spec.get(key)
    if value is None:
        return None
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < minimum:
        what = "a whole number" if integer else "a number"
        raise spec.error(f"{key} must be {what} >= {minimum:g}, not {value!r}", key)
    return value


#: `hose archive --format` -> its `--compression` values, the default first (ShardCodec's table).
FORMATS = {"jsonl": ("gzip", "zstd"), "parquet": ("zstd", "snappy")}


def shard_format(spec: Spec) -> dict[str, str]:
    """The spec's `format` and `compression` as `hose archive` options (empty: hose's defaults,
    gzipped JSON lines); a pair hose would refuse fails here, naming the line."""
    options = {}
    shard = spec.get("format", "jsonl")
    if shard not in FORMATS:
        raise spec.error(f"format must be {' or '.join(FORMATS)}, not {shard!r}", "format")
    if "format" in spec.values:
        options["format"] = shard
    if "compression" in spec.values:
        compression = spec["compression"]
        if compression not in FORMATS[shard]:
            raise spec.error(
                f"compression of {shard} must be {' or '.join(FORMATS[shard])}, not {compression!r}", "compression"
            )
        options["compression"] = compression
    return options


def snapshot_mode(spec: Spec) -> str:
    mode = spec.get("snapshot", "shared")
    if mode not in SNAPSHOT_MODES:
        raise spec.error(f"snapshot must be {' or '.join(SNAPSHOT_MODES)}, not {mode!r}", "snapshot")
    return mode


def archive_tables(spec: Spec) -> list[TableEntry]:
    """The `tables:` lines of an archive spec, checked, with their --tableOptions (the spec's
    `defaults:` first, then the line's own keys). Two lines naming one table, or two tables
    whose group ids collide, are errors."""
    defaults = spec.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise spec.error("defaults must be a mapping of table options", "defaults")
    for key in defaults:
        if key not in TABLE_OPTIONS:
            raise spec.error(f"unknown key {key!r} in defaults (allowed: {', '.join(TABLE_OPTIONS)})", "defaults", key)
    tables = spec["tables"]
    if not isinstance(tables, list) or not tables:
        raise spec.error("tables must be a list of {table: schema.table, …} lines", "tables")
    entries: list[TableEntry] = []
    by_name: dict[tuple[str, str], TableEntry] = {}
    by_group: dict[str, TableEntry] = {}
    for index, line in enumerate(tables):
        at = ("tables", index)
        if isinstance(line, str):
            line = {"table": line}
        if not isinstance(line, dict):
            raise spec.error("a tables line is {table: schema.table, …} or a table name", *at)
        for key in line:
            if key != "table" and key not in TABLE_OPTIONS:
                raise spec.error(
                    f"unknown key {key!r} in a tables line (allowed: table, {', '.join(TABLE_OPTIONS)})", *at, key
                )
        if "table" not in line:
            raise spec.error("a tables line needs `table`", *at)
        spelling = line["table"]
        if not isinstance(spelling, str):
            raise spec.error(f"table must be a string, not {spelling!r}", *at, "table")
        spelling = spelling.strip()
        try:
            schema, table = parse_table(spelling)
        except ValueError as e:
            raise spec.error(str(e), *at, "table") from None
        options = {}
        for key, option in TABLE_OPTIONS.items():
            origin = (*at, key) if key in line else ("defaults", key)
            value = line.get(key, defaults.get(key))
            if value is None:
                continue
            if key == "max_rows_per_bundle":
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise spec.error(f"{key} must be a whole number >= 1, not {value!r}", *origin)
            elif not isinstance(value, str) or not value.strip():
                raise spec.error(f"{key} must be a non-empty string", *origin)
            elif key != "where":
                try:
                    identifier(value, "column")
                except ValueError as e:
                    raise spec.error(str(e), *origin) from None
            options[option] = value
        entry = TableEntry(spelling, schema, table, group_id(schema, table), options, spec.line(*at))
        if (schema, table) in by_name:
            raise spec.error(
                f"table {spelling!r} is {schema}.{table}, already listed on line {by_name[schema, table].line}", *at
            )
        if entry.group_id in by_group:
            other = by_group[entry.group_id]
            raise spec.error(
                f"table {spelling!r} gets task group id {entry.group_id!r}, as {other.spelling!r} on line "
                f"{other.line} does",
                *at,
            )
        by_name[schema, table] = by_group[entry.group_id] = entry
        entries.append(entry)
    return entries


# ---------------------------------------------------------------------------------------------
# Table names, by the rules of hose's TableRef.parse (hose-archive/src/main/java/dev/hose/archive/TableRef.java)


def parse_table(spelling: str) -> tuple[str, str]:
    """(schema, table) of `schema.table` or `table` (schema public); a part may be double-quoted
    as psql spells it (`sales."Order Items"`, `""` inside quotes for a quote). Raises ValueError."""
    parts = _split(spelling.strip(), ".")
    if len(parts) > 2:
        raise ValueError(f"table '{spelling}' is not schema.table (one dot at most)")
    names = [_unquote(part, spelling) for part in parts]
    schema, table = ("public", names[0]) if len(names) == 1 else names
    return identifier(schema, "schema"), identifier(table, "table")


def _split(text: str, separator: str) -> list[str]:
    parts, part, quoted = [], [], False
    for c in text:
        if c == '"':
            quoted = not quoted  # a doubled quote inside quotes toggles twice
        if c == separator and not quoted:
            parts.append("".join(part))
            part = []
        else:
            part.append(c)
    if quoted:
        raise ValueError(f"table '{text}' has an unterminated double quote")
    parts.append("".join(part))
    return parts


def _unquote(part: str, spelling: str) -> str:
    if not part.startswith('"'):
        return part
    inner = part[1:-1]
    if len(part) < 2 or not part.endswith('"') or '"' in inner.replace('""', ""):
        raise ValueError(f"table '{spelling}' mixes quoted and unquoted text in one name")
    return inner.replace('""', '"')


def identifier(name: str, what: str) -> str:
    """A schema, table or column name as hose accepts it: letters and digits of any script, `_`,
    `$`, space and `-`, no leading or trailing space, at most 63 bytes."""
    if not name:
        raise ValueError(f"empty {what} name")
    if not all(c.isalnum() or c in "_$ -" for c in name) or name.strip() != name:
        raise ValueError(f"{what} name '{name}' is not a plain identifier (letters, digits, _, $, space and - only)")
    if len(name.encode("utf-8")) > 63:
        raise ValueError(f"{what} name '{name}' is longer than PostgreSQL's 63 bytes")
    return name


def group_id(schema: str, table: str) -> str:
    """The task group id of a table: `public__orders` when both names are ASCII words joined by
    single underscores; otherwise the names with every other run of characters turned into `_`,
    then `-` and six hex digits of a hash of `schema.table` (sales."Order Items" ->
    `sales__Order_Items-<hash>`). The `-` keeps these apart from the plain ids, and the hash of the
    table (not of its spelling) gives every spelling of one table one id."""
    if _PLAIN_PART.fullmatch(schema) and _PLAIN_PART.fullmatch(table):
        return f"{schema}__{table}"
    readable = "__".join(re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") or "_" for name in (schema, table))
    digest = hashlib.sha256(f"{schema}.{table}".encode("utf-8")).hexdigest()[:6]
    return f"{readable}-{digest}"
