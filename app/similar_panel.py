"""The lookup page's "Similar architectures" panel: the cell itself, its same-function variants, then the
cells nearest by Weisfeiler-Lehman similarity, with their accuracies and a proxy (as `nasdb similar`)."""
from __future__ import annotations

import streamlit as st

from app import db, ui


def show(bench: str, arch_key: str) -> None:
    st.subheader("Similar architectures")
    if not st.toggle("Show the most similar architectures (Weisfeiler-Lehman features of the cell graphs)",
                     key="lookup_similar"):
        return
    from nasdb import spaces
    from nasdb.errors import NasdbError
    from nasdb.similarity.similar import neighbours_by_wl, with_values

    space = spaces.get(bench)
    datasets = [d for d in space.datasets
                if ui.query("SELECT 1 FROM ground_truth WHERE bench = ? AND dataset = ? AND split = 'valid' LIMIT 1",
                            bench, d).height]
    left, right = st.columns(2)
    with left:
        dataset = ui.choose("Accuracies of", datasets, key="lookup_similar_dataset")
    with right:
        k = st.number_input("How many", min_value=2, max_value=100, value=10, key="lookup_similar_k")
    has_proxy = ui.query("SELECT 1 FROM proxies WHERE bench = ? AND proxy = 'nasgraph_avg_degree' LIMIT 1", bench).height
    con = db.connect(ui.snapshot_path())
    try:
        with st.spinner("Building the WL index of this benchmark (once; cached afterwards)..."):
            found = neighbours_by_wl(con, space, arch_key, int(k))
        found = with_values(con, bench, found, dataset, ["nasgraph_avg_degree"] if has_proxy else [])
    except NasdbError as e:
        st.error(str(e))
        return
    finally:
        con.close()
    st.caption("Rank 1 is the architecture itself; `same_function` marks cells computing the same function "
               "(the benchmark's isomorphism class); the rest follow by cosine similarity of WL label counts.")
    st.dataframe(found, hide_index=True, key="lookup_similar_table",
                 column_config={"arch_key": st.column_config.TextColumn(width="medium")})
