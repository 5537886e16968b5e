#!/usr/bin/env python3
"""Run a command (the test suite) against a throwaway PostgreSQL cluster and Redis server.

    python scripts/testenv.py -- pytest -q

Starts PostgreSQL from the system binaries (initdb/pg_ctl, a free local port, data in a temp dir;
as root it runs them as the `postgres` user, since PostgreSQL refuses to run as root) and a Redis
server (installed with apt-get when missing and running as root), exports DATABASE_URL and
REDIS_URL, runs the command, then stops both and removes the data. Exit status: the command's.
Fault-injection tests read PG_BIN/PG_DATA/PG_PORT and REDIS_* to stop and restart the servers.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_BIN_CANDIDATES = [Path("/usr/lib/postgresql/15/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"))]


def log(message: str) -> None:
    print(f"[testenv] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_root() -> bool:
    return os.geteuid() == 0


_apt_updated = False


def apt_install(*packages: str) -> None:
    global _apt_updated
    if not is_root():
        raise SystemExit(
            f"[testenv] {' '.join(packages)} missing and not root: install them (apt-get install -y ...)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        log("apt-get update")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        _apt_updated = True
    log(f"apt-get install {' '.join(packages)}")
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], check=True, env=env
    )


def ensure_system_packages() -> None:
    missing = []
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    if not Path("/usr/bin/chromium").exists() and os.environ.get("KUDUS_SKIP_BROWSER") != "1":
        missing.append("chromium")
    if not any((path / "initdb").exists() for path in PG_BIN_CANDIDATES):
        missing.append("postgresql")
    if not shutil.which("xgettext"):
        missing.append("gettext")  # the catalogue test runs makemessages
    if missing:
        apt_install(*missing)


def pg_bin() -> Path:
    for path in PG_BIN_CANDIDATES:
        if (path / "initdb").exists():
            return path
    raise SystemExit("[testenv] PostgreSQL binaries not found (apt-get install postgresql)")


def as_pg_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if is_root() else args


class Postgres:
    def __init__(self, root: Path):
        self.bin = pg_bin()
        self.root = root / "pg"
        self.data = self.root / "data"
        self.port = free_port()

    def start(self) -> None:
        self.root.mkdir()
        if is_root():
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            as_pg_user([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"]),
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.pg_ctl("start")
        # The application database (benchmarks, `make run` against it); tests create test_kudus.
        subprocess.run(
            as_pg_user([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        "kudus"]),
            check=True,
        )  # fmt: skip

    @property
    def options(self) -> str:
        # fsync off etc.: a throwaway cluster trades durability for speed. max_connections covers the
        # concurrency tests (hundreds of threads, each with its own connection).
        return (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=400 "
            "-c shared_buffers=256MB -c work_mem=16MB -c maintenance_work_mem=256MB"
        )

    def pg_ctl(self, action: str) -> None:
        args = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-w"]
        if action in ("start", "restart"):
            args += ["-o", self.options]
        if action == "stop":
            args += ["-m", "fast"]
        subprocess.run(as_pg_user([*args, action]), check=True, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.pg_ctl("stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/kudus"


class Redis:
    def __init__(self, root: Path):
        self.port = free_port()
        self.dir = root / "redis"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.dir.mkdir()
        self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            time.sleep(0.05)
        raise SystemExit("[testenv] redis-server did not start")

    @property
    def args(self) -> list[str]:
        return ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.dir)]  # fmt: skip

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        # Fault-injection tests may have restarted Redis as a daemon: shut that one down too.
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True, timeout=5
            )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print(__doc__)
        return 2
    ensure_system_packages()
    root = Path(tempfile.mkdtemp(prefix="kudus-testenv-"))
    os.chmod(root, 0o755)  # noqa: S103 - the postgres user must reach its data dir inside
    postgres, redis = Postgres(root), Redis(root)
    try:
        postgres.start()
        log(f"PostgreSQL on 127.0.0.1:{postgres.port}")
        redis.start()
        log(f"Redis on 127.0.0.1:{redis.port}")
        env = {
            **os.environ,
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis.url,
            "KUDUS_TESTING": "1",
            "PG_BIN": str(postgres.bin),
            "PG_DATA": str(postgres.data),
            "PG_ROOT": str(postgres.root),
            "PG_PORT": str(postgres.port),
            "PG_CTL_OPTIONS": postgres.options,
            "REDIS_SERVER_ARGS": shlex.join(redis.args),
            "REDIS_PORT": str(redis.port),
            "REDIS_DIR": str(redis.dir),
        }
        child = subprocess.Popen(argv, env=env)
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            return child.wait()
    finally:
        redis.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
