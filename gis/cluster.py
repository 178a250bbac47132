"""The embedded PostGIS: a private PostgreSQL cluster under the data dir, used when CCGRID_DATABASE_URL is unset.

Layout under data_dir:
  port        the TCP port chosen at first start (free at that time), so two checkouts run side by side
  password    the superuser password (0600); clients connect over the unix socket in run/
  pgdata/     the cluster, unless the postgres OS user cannot reach data_dir (then see `pgdata-location`)
  run/        the socket directory, owned by the cluster's OS user
  postgres.log
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from gis.errors import CcgridError

DB_NAME = "ccgrid"
SUPERUSER = "ccgrid"


class ClusterError(CcgridError):
    status = 503


def _pg_bindir() -> Path:
    """Newest PostgreSQL server binaries on this machine."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise ClusterError(
        "PostgreSQL server binaries not found: install postgresql-15 and postgresql-15-postgis-3 "
        "(`make setup` does this) or set CCGRID_DATABASE_URL"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class ClusterStatus:
    initialised: bool
    running: bool
    port: int | None
    pgdata: Path
    url: str | None


class Cluster:
    def __init__(self, data_dir: Path):
        self.root = Path(data_dir).absolute()
        self.portfile = self.root / "port"
        self.pwfile = self.root / "password"
        self.locationfile = self.root / "server-location"

    # --- who runs the server -------------------------------------------------------------------------
    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    def _owner(self) -> pwd.struct_passwd:
        return pwd.getpwnam("postgres") if self.as_root else pwd.getpwuid(os.geteuid())

    def _run(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        # initdb and postgres refuse to run as root: drop to the postgres OS user.
        cmd = ["runuser", "-u", "postgres", "--", *args] if self.as_root else args
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if check and proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise ClusterError(f"{Path(args[0]).name} failed: {detail[-1] if detail else proc.returncode}")
        return proc

    def _postgres_can_reach(self, path: Path) -> bool:
        if not self.as_root:
            return True
        return self._run(["test", "-x", str(path)], check=False).returncode == 0

    @property
    def server_dir(self) -> Path:
        """Where the server's own files live (pgdata, socket, log): data_dir, unless moved at init."""
        if self.locationfile.exists():
            return Path(self.locationfile.read_text().strip())
        return self.root

    @property
    def pgdata(self) -> Path:
        return self.server_dir / "pgdata"

    @property
    def sockdir(self) -> Path:
        return self.server_dir / "run"

    @property
    def logfile(self) -> Path:
        return self.server_dir / "postgres.log"

    def _choose_server_dir(self) -> None:
        """Keep the server in data_dir when the postgres user can reach it; else in a private dir keyed by it.

        A checkout inside a 0700 temp dir is unreachable for the postgres user, and changing the
        permissions of someone's parent directories is not ours to do.
        """
        if self._postgres_can_reach(self.root):
            return
        key = hashlib.sha1(str(self.root).encode()).hexdigest()[:12]
        path = Path("/var/lib/ccgrid/clusters") / key
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o755)
        self.locationfile.write_text(str(path))

    # --- lifecycle ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @property
    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    @property
    def port(self) -> int | None:
        return int(self.portfile.read_text()) if self.portfile.exists() else None

    @property
    def password(self) -> str:
        return self.pwfile.read_text().strip()

    def _give_to_owner(self, path: Path, mode: int = 0o700) -> None:
        path.mkdir(parents=True, exist_ok=True)
        owner = self._owner()
        os.chown(path, owner.pw_uid, owner.pw_gid)
        path.chmod(mode)

    def init(self) -> None:
        bindir = _pg_bindir()
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        if not self.pwfile.exists():
            self.pwfile.write_text(secrets.token_urlsafe(24))
            self.pwfile.chmod(0o600)
        self._choose_server_dir()
        pgdata = self.pgdata
        self._give_to_owner(pgdata)
        self._give_to_owner(self.sockdir, 0o755)
        # initdb reads the password from a file the postgres user can read; it lives there only briefly.
        tmp_pw = self.sockdir / ".initpw"
        tmp_pw.write_text(self.password)
        owner = self._owner()
        os.chown(tmp_pw, owner.pw_uid, owner.pw_gid)
        tmp_pw.chmod(0o600)
        try:
            self._run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(pgdata),
                    "-U",
                    SUPERUSER,
                    "--pwfile",
                    str(tmp_pw),
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            )
        finally:
            tmp_pw.unlink(missing_ok=True)
        if self.port is None:
            self.portfile.write_text(str(_free_port()))
        conf = pgdata / "postgresql.conf"
        with conf.open("a") as fh:
            fh.write(
                "\n# written by ccgrid\n"
                f"port = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.sockdir}'\n"
                "shared_buffers = 256MB\n"
                "work_mem = 32MB\n"
                "maintenance_work_mem = 256MB\n"
                "max_connections = 200\n"
                # Bulk imports write gigabytes of WAL; with the default 1 GB the server checkpoints every few
                # seconds during one and each page touched after a checkpoint is logged whole again.
                "max_wal_size = 8GB\n"
                "checkpoint_timeout = 15min\n"
                "wal_compression = on\n"
                "jit = off\n"
            )

    def _clear_stale_pid(self) -> None:
        pidfile = self.pgdata / "postmaster.pid"
        if not pidfile.exists():
            return
        try:
            pid = int(pidfile.read_text().splitlines()[0])
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except (ValueError, IndexError, OSError):
            comm = ""
        if "postgres" not in comm:
            # Left behind by a crash (or the pid now belongs to another program): postgres would refuse to start.
            pidfile.unlink()

    def running(self) -> bool:
        if not self.initialised:
            return False
        proc = self._run([str(_pg_bindir() / "pg_ctl"), "-D", str(self.pgdata), "status"], check=False)
        return proc.returncode == 0

    def start(self) -> None:
        if self.running():
            return
        self._clear_stale_pid()
        assert self.port is not None
        if _port_in_use(self.port):
            raise ClusterError(
                f"port {self.port} (recorded in {self.portfile}) is taken by another program; "
                "stop it or delete that file to choose a new port"
            )
        self._give_to_owner(self.sockdir, 0o755)
        if not self.logfile.exists():
            self.logfile.touch()
        owner = self._owner()
        os.chown(self.logfile, owner.pw_uid, owner.pw_gid)
        self._run(
            [
                str(_pg_bindir() / "pg_ctl"),
                "-D",
                str(self.pgdata),
                "-l",
                str(self.logfile),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )

    def stop(self) -> None:
        if self.running():
            self._run([str(_pg_bindir() / "pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"])

    def destroy(self) -> None:
        """Stop and delete the cluster and its files (tests, `make clean`)."""
        self.stop()
        if self.server_dir != self.root:
            shutil.rmtree(self.server_dir, ignore_errors=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = DB_NAME) -> str:
        return (
            f"postgresql+psycopg://{SUPERUSER}:{quote(self.password, safe='')}@/{database}"
            f"?host={quote(str(self.sockdir))}&port={self.port}"
        )

    def up(self) -> str:
        """Initialise (first time) and start the cluster, make sure the database exists. Idempotent."""
        with self._lock():
            if not self.initialised:
                self.init()
            self.start()
            self._ensure_database()
        return self.url()

    def _ensure_database(self) -> None:
        import psycopg

        conninfo = dict(host=str(self.sockdir), port=self.port, user=SUPERUSER, password=self.password)
        with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DB_NAME}"')

    def status(self) -> ClusterStatus:
        running = self.running()
        return ClusterStatus(
            initialised=self.initialised,
            running=running,
            port=self.port,
            pgdata=self.pgdata,
            url=self.url() if running else None,
        )
