"""SQL console: read-only queries on the database, with a row limit, a time limit and downloads."""
from __future__ import annotations

import io

import streamlit as st

from app import console, ui

EXAMPLES = {
    "Tables and their columns": "SELECT table_name, column_name, data_type FROM information_schema.columns "
                                "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position",
    "Archs per benchmark": "SELECT bench, count(*) AS archs FROM archs GROUP BY bench ORDER BY bench",
    "Best NB201 cells on CIFAR-100": "SELECT a.arch_id, a.arch_key, g.value AS test_accuracy\nFROM ground_truth g "
                                     "JOIN archs a USING (bench, arch_id)\nWHERE g.bench = 'nb201' AND "
                                     "g.dataset = 'cifar100' AND g.split = 'test'\nORDER BY g.value DESC LIMIT 10",
    "Proxies available": "SELECT bench, dataset, proxy, source, count(*) AS n FROM proxies GROUP BY ALL ORDER BY ALL",
}

st.title("SQL console")
st.caption("Read-only: one SELECT / EXPLAIN / PRAGMA statement at a time; no access to files, the network, "
           f"extensions or settings. Each query runs in its own process with {console.DUCKDB_MEMORY} of DuckDB memory "
           f"and the time limit; results are cut at the row limit or {console.RESULT_BYTES >> 20} MB. Tables: benchmarks, archs, ground_truth, costs, proxies, proxy_runs, "
           "sources, meta, and the evaluation tables once `nasdb eval` has run.")
example = st.selectbox("Start from an example", list(EXAMPLES), key="sql_example")
with st.form("sql_form"):
    sql = st.text_area("SQL", value=EXAMPLES[example], height=140, key=f"sql_text_{example}")
    c1, c2 = st.columns(2)
    row_limit = c1.number_input("Row limit", min_value=1, max_value=1_000_000, value=10_000, step=1000,
                                key="sql_row_limit")
    seconds = c2.number_input("Time limit (s)", min_value=0.5, max_value=120.0, value=10.0, step=1.0,
                              key="sql_seconds")
    submitted = st.form_submit_button("Run query", type="primary")
if submitted:
    with st.spinner("running…"):
        st.session_state["sql_result"] = console.run(sql, int(row_limit), float(seconds), ui.snapshot_path())

result: console.Result | None = st.session_state.get("sql_result")
if result is None:
    st.stop()
st.caption(f"Result of: `{result.sql}`")
if result.error:
    ui.error(result.error)
    st.stop()
frame = result.frame
note = {"rows": f" (stopped at the row limit of {frame.height:,}; more rows exist)",
        "bytes": f" (stopped at the console's result size limit of {console.RESULT_BYTES >> 20} MB; more rows exist)",
        None: ""}[result.truncated]
st.success(f"{frame.height:,} row(s){note}")
st.dataframe(frame, hide_index=True, key="sql_result_table")
parquet = io.BytesIO()
frame.write_parquet(parquet)
d1, d2 = st.columns(2)
d1.download_button("Download CSV", frame.write_csv(), file_name="nasdb_query.csv", mime="text/csv",
                   on_click="ignore", key="sql_csv")
d2.download_button("Download Parquet", parquet.getvalue(), file_name="nasdb_query.parquet",
                   mime="application/vnd.apache.parquet", on_click="ignore", key="sql_parquet")
