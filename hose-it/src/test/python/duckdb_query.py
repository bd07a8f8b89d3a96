"""Runs DDL in a fresh in-memory DuckDB, then queries; prints every query's rows as JSON.

    python duckdb_query.py DDL_FILE QUERIES_JSON   ->  {"version": ..., "results": [[v, ...], ...]}

Each query returns one column; its values are printed as text (null stays null), in row order.
"""
import json
import sys

import duckdb

ddl = open(sys.argv[1], encoding="utf-8").read()
queries = json.load(open(sys.argv[2], encoding="utf-8"))
con = duckdb.connect()
con.execute(ddl)
results = []
for query in queries:
    results.append([None if row[0] is None else str(row[0]) for row in con.execute(query).fetchall()])
json.dump({"version": duckdb.__version__, "results": results}, sys.stdout)
