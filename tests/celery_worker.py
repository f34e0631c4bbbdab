"""Real Celery workers, in their own processes, on Redis.

They read the test database, so tests using them need PostgreSQL and transaction=True.
Each worker gets its own queue, so stale messages from another run are never consumed.
`redis_server` starts a Redis of the test's own that the test may stop and start again.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from celery import current_app
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")

requires_broker = pytest.mark.skipif(
    not BROKER_URL, reason="needs Redis: set CELERY_BROKER_URL=redis://..."
)


def _database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Worker:
    """A `celery worker` process whose log lines are collected as they come."""

    def __init__(self, *, queue: str, broker: str, pool: str, env: dict[str, str]) -> None:
        self.queue = queue
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "crm",
                "worker",
                f"--pool={pool}",
                "--concurrency=1",
                "--loglevel=INFO",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
                "-I",
                "tests.tasks",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
            ],  # fmt: skip
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "DATABASE_URL": _database_url(),
                "CELERY_BROKER_URL": broker,
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return "".join(self.lines)

    def wait_until_ready(self, timeout: float = 60) -> None:
        wait_for(lambda: " ready." in self.log() or self.process.poll() is not None, timeout)
        if " ready." not in self.log():
            self.stop()
            raise RuntimeError("Celery worker did not start:\n" + self.log()[-4000:])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def broker_use(url: str) -> None:
    """Point this process's Celery app at `url`, dropping connections to the old broker.

    The write URL is what publishing uses; `broker_url` itself reads CELERY_BROKER_URL from
    the environment first, so setting it alone would change nothing."""
    app = current_app
    app.conf.broker_url = app.conf.broker_write_url = app.conf.broker_read_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_worker_factory():
    """Start workers on demand; while the fixture lives, tasks go to them instead of running
    eagerly. `start(pool="prefork")` gives a pool child the parent can lose and replace."""
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it can share: set DATABASE_URL")
    app = current_app
    queue = f"test-{uuid.uuid4().hex[:8]}"
    saved = (app.conf.task_always_eager, app.conf.task_default_queue, app.conf.broker_write_url)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    workers: list[Worker] = []

    def start(*, pool: str = "solo", broker: str = BROKER_URL, env=None) -> Worker:
        if app.conf.broker_write_url != broker:
            broker_use(broker)
        worker = Worker(queue=queue, broker=broker, pool=pool, env=env or {})
        workers.append(worker)
        worker.wait_until_ready()
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()
        app.conf.task_always_eager, app.conf.task_default_queue = saved[:2]
        if app.conf.broker_write_url != saved[2]:
            broker_use(saved[2])


@pytest.fixture
def celery_worker(celery_worker_factory):
    """One worker (solo pool) on the broker at CELERY_BROKER_URL."""
    return celery_worker_factory()


class RedisServer:
    """A Redis of the test's own, on a free port, without persistence."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for(self._answers, timeout=10):
            raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def redis_server(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server on PATH")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def celery_beat(celery_worker, tmp_path):
    """Celery beat with the database scheduler, in its own process, beside the worker."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
    }
    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "beat",
            "--loglevel=INFO",
            "--max-interval",
            "1",
            "--schedule",
            str(tmp_path / "beat-schedule"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield beat
    finally:
        beat.terminate()
        try:
            beat.wait(timeout=20)
        except subprocess.TimeoutExpired:
            beat.kill()


def wait_for(predicate, timeout: float = 30, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
