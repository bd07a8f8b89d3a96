"""Times DuckDB's count(*) and sum(numeric) over one table archived twice on S3, as JSON lines and
as Parquet, as docs/reading.md's recipes read them (pyarrow reads S3, DuckDB runs the query).

    python query_bench.py JSONL_TABLE_DIR PARQUET_TABLE_DIR NUMERIC_COLUMN REPEATS
        (s3://bucket/prefix/schema.table/; AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID and
        AWS_SECRET_ACCESS_KEY name the S3-compatible server)

Prints JSON: each archive's best time in seconds over REPEATS, and the query's result.
"""
import json
import os
import sys
import time
import urllib.parse

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.json as pj

jsonl_dir, parquet_dir, numeric, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
endpoint = urllib.parse.urlparse(os.environ["AWS_ENDPOINT_URL"])
fs = pafs.S3FileSystem(access_key=os.environ["AWS_ACCESS_KEY_ID"],
                       secret_key=os.environ["AWS_SECRET_ACCESS_KEY"], region="us-east-1",
                       scheme=endpoint.scheme, endpoint_override=endpoint.netloc)
SQL = 'SELECT count(*), sum("%s") FROM t' % numeric


def manifest(base):
    with fs.open_input_stream(base + "/_manifest.json") as f:
        return json.loads(f.read())


def parquet_query(base):
    con = duckdb.connect()
    con.register("t", ds.dataset(base, format="parquet", filesystem=fs))
    return con.execute(SQL).fetchone()


def jsonl_query(base):
    m = manifest(base)
    t = [c["type"] for c in m["columns"] if c["name"] == numeric][0]
    p, s = (int(x) for x in t.split("(")[1].rstrip(")").split(","))
    options = pj.ParseOptions(explicit_schema=pa.schema([(numeric, pa.decimal128(p, s))]),
                              unexpected_field_behavior="ignore")
    parts = []
    for shard in m["shards"]:
        with fs.open_input_stream(base + "/" + shard["path"], compression=m["compression"]) as f:
            parts.append(pj.read_json(f, parse_options=options))
    con = duckdb.connect()
    con.register("t", pa.concat_tables(parts))
    return con.execute(SQL).fetchone()


out = {}
for name, base, query in (("jsonl", jsonl_dir, jsonl_query), ("parquet", parquet_dir, parquet_query)):
    base = base[len("s3://"):].rstrip("/")
    best, result = None, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = query(base)
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    out[name] = {"seconds": best, "count": result[0], "sum": str(result[1])}
json.dump(out, sys.stdout)
