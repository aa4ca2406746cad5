"""nasdb app: serve the Streamlit dashboard on the built database (read-only)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from nasdb import config
from nasdb.commands import add
from nasdb.errors import NasdbError

APP = Path(__file__).resolve().parents[2] / "app"  # app/ sits next to nasdb/ in the source tree
MAIN = APP / "main.py"
SERVE = APP / "serve.py"  # warms up imports and the snapshot, then runs Streamlit


def register(sub) -> None:
    p = add(sub, "app", "serve the dashboard (Streamlit) on the database, read-only",
            "  nasdb app                         # http://127.0.0.1:8501\n"
            "  nasdb --db other.duckdb app --port 8600\n"
            "  nasdb app --host 0.0.0.0          # reachable from other machines: mind who can see it\n")
    p.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)")
    p.set_defaults(func=run)


def command(db: Path, port: int, host: str) -> tuple[list[str], dict[str, str]]:
    """The `streamlit run` command line (through app/serve.py) and environment that serve ``db``."""
    argv = [sys.executable, str(SERVE), "run", str(MAIN),
            "--server.port", str(port), "--server.address", host, "--server.headless", "true",
            "--server.fileWatcherType", "none", "--server.runOnSave", "false",
            "--browser.gatherUsageStats", "false", "--global.developmentMode", "false",
            "--client.toolbarMode", "viewer"]
    return argv, {**os.environ, "NASDB_DB": str(db)}


def run(args) -> int:
    db = config.db_path(args.db).resolve()
    if not db.is_file():
        raise NasdbError(f"no database at {db}; build it first with `nasdb build` (or pass --db FILE)")
    if not MAIN.is_file():
        raise NasdbError(f"the app's entry point {MAIN} is missing; run nasdb from its source tree (pip install -e .)")
    argv, env = command(db, args.port, args.host)
    print(f"nasdb app: serving {db} on http://{args.host}:{args.port} (Ctrl-C stops)", flush=True)
    os.execve(argv[0], argv, env)  # replace this process, so stopping `nasdb app` stops the server
