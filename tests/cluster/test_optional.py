"""redis-py is needed only by a server started with --cluster."""

from __future__ import annotations

import subprocess
import sys

from tests.integration.conftest import SUBPROCESS_ENV


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=SUBPROCESS_ENV,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()


def test_a_single_server_never_imports_redis() -> None:
    code = (
        "import sys\n"
        "from chinwag.config import Config\n"
        "from chinwag.server.server import ChatServer\n"
        "with ChatServer(Config(host='127.0.0.1', port=0, data_dir='')) as server:\n"
        "    server.start()\n"
        "print('redis' in sys.modules)\n"
    )
    assert run(code) == "False"


def test_a_cluster_without_redis_py_is_refused_with_a_clear_reason() -> None:
    code = (
        "import sys\n"
        "sys.modules['redis'] = None  # as if redis-py were not installed\n"
        "from chinwag.config import Config\n"
        "from chinwag.cluster import ClusterError\n"
        "from chinwag.server.server import ChatServer\n"
        "config = Config(host='127.0.0.1', port=0, data_dir='', cluster='redis://127.0.0.1:1/0')\n"
        "try:\n"
        "    ChatServer(config)\n"
        "except ClusterError as error:\n"
        "    print(error)\n"
    )
    assert "--cluster needs redis-py" in run(code)
    assert "pip install 'chinwag[cluster]'" in run(code)


def test_a_node_that_cannot_reach_redis_stops_with_one_clear_line() -> None:
    options = ["--port", "0", "--no-console", "--data-dir", ""]
    cluster = ["--cluster", "redis://:secret@127.0.0.1:1/0"]
    done = subprocess.run(
        [sys.executable, "-m", "chinwag", "serve", "--host", "127.0.0.1", *options, *cluster],
        env=SUBPROCESS_ENV,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("chinwag: cannot reach the cluster's Redis at redis://***@")
    assert "secret" not in done.stderr
    assert "Traceback" not in done.stderr
