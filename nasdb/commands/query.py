"""nasdb query: run SQL against the database (read-only) and print or save the result."""
from __future__ import annotations

from nasdb.commands import add
from nasdb.tables import FORMATS


def register(sub) -> None:
    p = add(sub, "query", "run SQL on the database (read-only) and print a table or write csv/json/parquet",
            '  nasdb query "SELECT bench, count(*) FROM archs GROUP BY bench"\n'
            "  nasdb query \"SELECT arch_id, value FROM ground_truth WHERE bench='nb201' AND dataset='cifar100' "
            "AND split='test'\" --format csv > c100.csv\n"
            '  nasdb query "SELECT * FROM proxies" --format parquet --output proxies.parquet\n'
            '  nasdb query "SELECT count(*) FROM archs; SELECT count(*) FROM proxies"   # one table each\n')
    p.add_argument("sql", help="one statement, or several separated by ';' (table format shows each result)")
    p.add_argument("--format", default="table", choices=FORMATS)
    p.add_argument("--output", "-o", help="file to write (required for parquet)")
    p.add_argument("--max-rows", type=int, default=50, help="rows shown in table format (default 50)")
    p.set_defaults(func=run)


def run(args) -> int:
    import duckdb

    from nasdb import api, store, tables
    from nasdb.errors import NasdbError

    try:
        statements = [s.query for s in duckdb.extract_statements(args.sql)]
    except duckdb.Error as e:
        raise NasdbError(f"query failed: {e}") from e
    if not statements:
        raise NasdbError("no SQL statement given")
    if len(statements) > 1 and args.format != "table":
        raise NasdbError(f"--format {args.format} writes one result, but the SQL has {len(statements)} "
                         "statements; run them one at a time (or use --format table to see each result)")
    con = api.connect(args.db, read_only=True)
    for i, sql in enumerate(statements, 1):
        try:
            df = store.frame(con, sql)
        except duckdb.Error as e:
            where = f" (statement {i} of {len(statements)})" if len(statements) > 1 else ""
            raise NasdbError(f"query failed{where}: {e}") from e
        if len(statements) > 1:
            tables.show(df, title=f"[{i}/{len(statements)}] {sql.strip().rstrip(';').strip()}", max_rows=args.max_rows)
        else:
            tables.write(df, args.format, args.output, args.max_rows)
    return 0
