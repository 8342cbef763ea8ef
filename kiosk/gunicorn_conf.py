"""gunicorn settings for `kiosk serve` (`-c python:kiosk.gunicorn_conf`).

The application is loaded once in the master (`preload_app`) and the workers are forked from
it, so the code and data they share (SQLAlchemy, Flask, the templates' compiled code) sit in
memory once rather than once per worker. With gevent workers the master is patched first,
before anything the application imports creates a lock or a socket.
"""

from __future__ import annotations

import sys


def _worker_class(argv: list[str]) -> str:
    """The worker class given on gunicorn's command line (`kiosk serve` always gives one)."""
    for i, arg in enumerate(argv):
        if arg in ("-k", "--worker-class") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--worker-class="):
            return arg.split("=", 1)[1]
    return "sync"


if _worker_class(sys.argv) == "gevent":
    from gevent import monkey

    monkey.patch_all()

preload_app = True


def post_fork(_server: object, worker: object) -> None:
    """A worker must not share the master's database connections: open its own."""
    # With preload_app, the application gunicorn loaded in the master is `worker.app.callable`.
    app = getattr(getattr(worker, "app", None), "callable", None)
    engine = getattr(app, "extensions", {}).get("kiosk.engine")
    if engine is not None:
        engine.dispose(close=False)


def worker_exit(_server: object, worker: object) -> None:
    """A worker stops: its displays' hub ends and its doorbell socket leaves the folder the
    other workers ring (`kiosk/events.py`)."""
    app = getattr(getattr(worker, "app", None), "callable", None)
    hub = getattr(app, "extensions", {}).get("kiosk.hub")
    if hub is not None:
        hub.stop(timeout=1.0)


def child_exit(_server: object, worker: object) -> None:
    """A worker died (killed by the kernel for memory, by gunicorn for time, or stopped): an
    upload it cut between its row's commit and its file's rename is finished now, in the
    master, rather than at the next start (`kiosk.app.recover_uploads`)."""
    app = getattr(getattr(worker, "app", None), "callable", None)
    if app is not None and hasattr(app, "extensions"):
        from kiosk.app import recover_uploads

        recover_uploads(app)
