"""The pyarrow and DuckDB recipes of docs/reading.md, run on one archived table.

    python read_recipes.py TABLE_DIR NUMERIC_COLUMN TIMESTAMP_COLUMN
        TABLE_DIR: a local directory, or s3://bucket/prefix/schema.table/ (then AWS_ENDPOINT_URL,
        AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY name an S3-compatible server, path-style)

Prints JSON: the manifest's row count, and for each recipe the rows it read, the exact sum of the
numeric column (as decimal text) and the earliest and latest instants of the timestamp column (ISO,
UTC).
- pyarrow, Parquet: pyarrow.dataset over the directory (files starting with _ are skipped).
- pyarrow, JSON lines: each shard the manifest lists through pyarrow's gzip/zstd stream into
  pyarrow.json with the two columns' exact types (decimal128, timestamp[us, UTC]).
- DuckDB, Parquet: read_parquet over the local shards; over S3, the same SQL on the pyarrow dataset
  (DuckDB scans it through Arrow: its httpfs extension is downloaded at run time, and is not here).
- DuckDB, JSON lines: read_json over the local shards with the two columns typed; over S3, the same
  SQL on the Arrow table pyarrow read.
"""
import json
import os
import sys
import urllib.parse

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.json as pj

table_dir, numeric, timestamp = sys.argv[1], sys.argv[2], sys.argv[3]

if table_dir.startswith("s3://"):
    endpoint = urllib.parse.urlparse(os.environ["AWS_ENDPOINT_URL"])
    fs = pafs.S3FileSystem(
        access_key=os.environ["AWS_ACCESS_KEY_ID"],
        secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        region="us-east-1",
        scheme=endpoint.scheme,
        endpoint_override=endpoint.netloc,
    )
    base = table_dir[len("s3://"):].rstrip("/")
else:
    fs = pafs.LocalFileSystem()
    base = os.path.abspath(table_dir)

with fs.open_input_stream(base + "/_manifest.json") as f:
    manifest = json.loads(f.read())
parquet = manifest.get("shardFormat") == "parquet"
shards = [base + "/" + s["path"] for s in manifest["shards"]]
types = {c["name"]: c["type"] for c in manifest["columns"]}
precision, scale = (int(x) for x in types[numeric].split("(")[1].rstrip(")").split(","))


def figures(rows, total, earliest, latest):
    iso = lambda t: None if t is None else t.isoformat()
    return {"rows": rows, "sum": None if total is None else str(total),
            "min": iso(earliest), "max": iso(latest)}


# pyarrow
if parquet:
    table = ds.dataset(base, format="parquet", filesystem=fs).to_table(columns=[numeric, timestamp])
else:
    schema = pa.schema([(numeric, pa.decimal128(precision, scale)),
                        (timestamp, pa.timestamp("us", tz="UTC"))])
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    parts = []
    for shard in shards:
        with fs.open_input_stream(shard, compression=manifest.get("compression", "gzip")) as s:
            parts.append(pj.read_json(s, parse_options=options))
    table = pa.concat_tables(parts)
arrow = figures(table.num_rows, pc.sum(table[numeric]).as_py(),
                pc.min(table[timestamp]).as_py(), pc.max(table[timestamp]).as_py())

# DuckDB
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
sql = 'SELECT count(*), sum("{n}"), min("{t}"), max("{t}") FROM {src}'
if isinstance(fs, pafs.LocalFileSystem):
    glob = base + "/part-*" + shards[0][shards[0].index(".", len(base) + 1):] if shards else ""
    if parquet:
        src = "read_parquet('%s')" % glob
    else:
        src = ("read_json('%s', format = 'newline_delimited', columns = {'%s': 'DECIMAL(%d,%d)',"
               " '%s': 'TIMESTAMPTZ'})" % (glob, numeric, precision, scale, timestamp))
else:
    scanned = ds.dataset(base, format="parquet", filesystem=fs) if parquet else table
    con.register("scanned", scanned)
    src = "scanned"
row = con.execute(sql.format(n=numeric, t=timestamp, src=src)).fetchone()
duck = figures(row[0], row[1], row[2], row[3])

json.dump({"manifestRows": manifest["rowCount"], "pyarrow": arrow, "duckdb": duck,
           "versions": {"pyarrow": pa.__version__, "duckdb": duckdb.__version__}}, sys.stdout)
