"""The doorbell: a commit that adds queue events wakes the event hubs (kiosk/events.py) of
every process on the same database at once, instead of at their next poll.

One folder per database under the temporary directory, private to this user, holds one Unix
datagram socket per listening hub; a ring sends one byte to each. The byte carries nothing: a
hub woken for nothing reads nothing, and a lost byte costs one poll interval, never an event.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import socket
import tempfile
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from .domain import queue

log = logging.getLogger(__name__)


class Doorbell:
    """Wakes the hubs of every process that follows one database's event log.

    `folder` (one per database, under the temporary directory, private to this user) holds
    one datagram socket per listening hub. `ring` sends a byte to each; `listen` binds this
    process's socket and `close` removes it (gunicorn's `worker_exit`; a worker killed before
    it could is found out by the next ring, which removes its file).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path: Path | None = None
        self.sock: socket.socket | None = None

    @classmethod
    def for_database(cls, url: str) -> Doorbell:
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        return cls(Path(tempfile.gettempdir()) / f"kiosk-doorbell-{digest}")

    def _own_folder(self) -> bool:
        """The folder exists and is this user's alone (anyone else's: no doorbell, poll)."""
        try:
            self.folder.mkdir(mode=0o700, exist_ok=True)
            st = self.folder.stat()
        except OSError:
            return False
        return st.st_uid == os.getuid() and st.st_mode & 0o077 == 0

    def listen(self) -> socket.socket | None:
        """Bind this hub's socket in the folder; None when that is not possible (the hub then
        polls only)."""
        if self.sock is not None:
            return self.sock
        if not hasattr(socket, "AF_UNIX") or not self._own_folder():
            log.warning("queue hub: no doorbell in %s; others' calls come by poll", self.folder)
            return None
        path = self.folder / f"{os.getpid()}-{secrets.token_hex(4)}.sock"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        for attempt in range(2):
            try:
                sock.bind(str(path))
                break
            except FileNotFoundError:  # the last hub before us just removed the folder
                if attempt or not self._own_folder():
                    sock.close()
                    return None
            except OSError:
                sock.close()
                log.warning("queue hub: cannot bind %s; other workers' calls come by poll", path)
                return None
        self.path, self.sock = path, sock
        return sock

    def ring(self) -> None:
        """One byte to every hub's socket in the folder (this process's own included)."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as out:
            out.setblocking(False)
            for name in names:
                if not name.endswith(".sock"):
                    continue
                path = self.folder / name
                try:
                    out.sendto(b"!", str(path))
                except BlockingIOError:
                    pass  # its queue is full: a wake-up is waiting for it already
                except (ConnectionRefusedError, FileNotFoundError):
                    path.unlink(missing_ok=True)  # its process died without closing it
                except OSError:
                    log.debug("queue hub: ringing %s failed", path, exc_info=True)

    def wake_self(self) -> None:
        """A byte to this process's own socket only (to end its listener)."""
        if self.path is None:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as out:
            out.setblocking(False)
            try:
                out.sendto(b"!", str(self.path))
            except OSError:
                pass

    def close(self) -> None:
        """Leave the folder: this hub's socket is closed and its file removed."""
        sock, path = self.sock, self.path
        self.sock = self.path = None
        if sock is not None:
            sock.close()
        if path is not None:
            path.unlink(missing_ok=True)
            try:
                self.folder.rmdir()  # the last one out: no empty folders left behind
            except OSError:
                pass  # other hubs still listen


def ring_after_commit(factory: sessionmaker[Session], bell: Doorbell) -> None:
    """Every commit of `factory`'s sessions that added queue events rings `bell`."""

    @event.listens_for(factory, "after_commit")
    def _ring(session: Session) -> None:
        if session.info.pop(queue.EMITTED, False):
            bell.ring()

    @event.listens_for(factory, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(queue.EMITTED, None)
