"""A throwaway PostgreSQL cluster for the tests: initdb into a temp dir, started by pg_ctl on a free
loopback port (its socket in that dir too), stopped and removed at the end.

The server binaries come from SUBSIDY_TEST_PG_BIN, else the newest /usr/lib/postgresql/*/bin
(Debian's postgresql package; scripts/install-test-deps.sh installs it where it is missing).
PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user.
Durability is off (fsync, synchronous_commit): the data dies with the test session anyway.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "subsidy"
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "300",  # two instances x their workers' pools, and the tests' own
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
}


def server_bin_dir() -> Path:
    given = os.environ.get("SUBSIDY_TEST_PG_BIN", "").strip()
    if given:
        return Path(given)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError(
            "no PostgreSQL server binaries (initdb) in /usr/lib/postgresql/*/bin: install Debian's "
            "postgresql package (scripts/install-test-deps.sh does) or set SUBSIDY_TEST_PG_BIN"
        )
    return found[-1].parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    root: Path
    port: int
    bin_dir: Path
    as_user: list[str]

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    def stop(self) -> None:
        self.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> Cluster:
    bin_dir = server_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="subsidy-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    cluster = Cluster(root=root, port=0, bin_dir=bin_dir, as_user=as_user)
    initdb = [*as_user, str(bin_dir / "initdb"), "-D", str(cluster.data), "-U", SUPERUSER]
    initdb += ["-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]
    done = subprocess.run(initdb, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {done.stderr.strip()}")
    last_error = ""
    for _ in range(3):  # a free port can be taken between asking and binding: try another
        cluster.port = free_port()
        options = [f"-p {cluster.port}", f"-k {root}"] + [f"-c {k}={v}" for k, v in SERVER_SETTINGS.items()]
        started = cluster.pg_ctl(
            "-w", "-t", "60", "-l", str(root / "server.log"), "-o", " ".join(options), "start"
        )
        if started.returncode == 0:
            return cluster
        last_error = started.stderr.strip() or (root / "server.log").read_text(errors="replace")[-500:]
    cluster.stop()
    raise RuntimeError(f"PostgreSQL did not start: {last_error}")
