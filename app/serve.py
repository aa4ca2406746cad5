"""`nasdb app`'s server process: warm up, then hand over to Streamlit's own command line.

Why: Streamlit runs the page scripts inside the server process, and only when the first browser
session arrives. Left alone, that first visitor waits for the imports every page needs (altair,
pandas, pyarrow, scipy) and for the first snapshot copy. Done
here, before the server listens, sys.modules already holds them and the snapshot exists.

    python app/serve.py run app/main.py --server.port 8501 ...   (arguments as for `streamlit ...`)
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a file, like app/main.py


def warm_up() -> None:
    """Import what the pages use and take the snapshot, so the first visit pays for neither."""
    import duckdb
    import pandas  # noqa: F401  (altair charts and st.dataframe convert through it)
    import polars as pl
    import pyarrow  # noqa: F401

    import scipy.stats  # noqa: F401  (the scatter page's rank correlations)

    from app import cells, console, db, selection, ui  # noqa: F401
    from nasdb import summary  # noqa: F401
    from nasdb.errors import NasdbError

    pl.DataFrame({"x": [1]}).to_pandas()  # polars' pyarrow->pandas conversion imports more on first use
    try:
        db.query("SELECT 1", path=db.snapshot().path)  # first DuckDB -> polars result loads more code
    except (NasdbError, duckdb.Error):
        pass  # missing, busy or unreadable database: the pages say so on the first visit


def main() -> None:
    warm_up()
    from streamlit.web import cli

    cli.main(args=sys.argv[1:], prog_name="streamlit")


if __name__ == "__main__":
    main()
