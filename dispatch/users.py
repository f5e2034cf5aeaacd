"""Users and their tokens. The users file keeps only a SHA-256 of each token.

Tokens are 256 random bits, so a plain hash is enough: there is nothing to brute-force that a slow
password hash would protect. The file is rewritten whole, atomically (a temporary file renamed over it),
so a server reading it never sees half of it; `UsersFile` is how a running server follows its changes.
Changes hold a lock (a `.lock` file beside it) from the read to the rename: two `onemap users add` at once
each add their user, neither overwrites the other's.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dispatch.domain import ROLES

GRID_ROLE = "grid"


class UsersError(ValueError):
    pass


@dataclass(frozen=True)
class User:
    """Who a token is: equal only if the name, the role and the token are all the same."""

    name: str
    role: str
    token_sha256: str
    # A grid officer's cells (grid ids of the city pack): where it may verify cases. Not part of who the
    # user is: new cells take effect at its next command, without disconnecting it.
    cells: frozenset[str] = field(default=frozenset(), compare=False)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _read_entries(path: Path) -> dict[str, dict]:
    """The users file's `users` object, checked: every entry a role in ROLES and a token hash."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsersError(f"users file {path} does not exist (create it with `onemap users add`)") from None
    except (OSError, ValueError) as exc:
        raise UsersError(f"users file {path} is unreadable: {exc}") from None
    entries = raw.get("users") if isinstance(raw, dict) else None
    if not isinstance(entries, dict):
        raise UsersError(f"users file {path} is not a JSON object with a \"users\" object")
    for name, entry in entries.items():
        if (not isinstance(entry, dict) or entry.get("role") not in ROLES
                or not isinstance(entry.get("token_sha256"), str)):
            raise UsersError(f"users file {path}: user {name!r} needs a role in {ROLES} and a token_sha256")
        if "cells" in entry:
            _check_cells(entry["cells"], entry["role"], f"users file {path}: user {name!r}")
    return entries


def _check_cells(cells: object, role: str, who: str) -> None:
    if role != GRID_ROLE:
        raise UsersError(f"{who}: only a grid officer (role {GRID_ROLE}) has cells, not a {role}")
    if not isinstance(cells, list) or not all(isinstance(c, str) and c.strip() == c and c for c in cells):
        raise UsersError(f"{who}: cells must be a list of grid ids (e.g. [\"G001\", \"G002\"])")


def _write_entries(path: Path, entries: dict[str, dict]) -> None:
    """Replace the users file in one rename: a reader sees the old file or the new one, never a part."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"users": entries}, out, indent=2, ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class Users:
    def __init__(self, by_digest: dict[str, User]):
        self._by_digest = by_digest
        self._cells = {user.name: user.cells for user in by_digest.values() if user.cells}

    @classmethod
    def load(cls, path: str | Path) -> "Users":
        entries = _read_entries(Path(path))
        return cls({entry["token_sha256"]: User(name, entry["role"], entry["token_sha256"],
                                                frozenset(entry.get("cells", ())))
                    for name, entry in entries.items()})

    def authenticate(self, token: object) -> User | None:
        if not isinstance(token, str) or not token:
            return None
        return self._by_digest.get(_digest(token))

    def cells_of(self, name: str) -> frozenset[str]:
        """A grid officer's cells (none for a name that is no grid officer): what the ledger asks at each of
        its commands (dispatch.ledger.Ledger's `cells_of`)."""
        return self._cells.get(name, frozenset())

    def holds(self, user: User) -> bool:
        """Whether `user` is still exactly who its token says (not removed, no new token, same role)."""
        return self._by_digest.get(user.token_sha256) == user


class UsersFile:
    """A users file and the last good users read from it. `reload` reads the file again only when its
    inode, size or modification time changed; a broken file keeps the last good users."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._stamp = self._stat()
        self.users = Users.load(self.path)  # no server starts without a readable users file

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns

    def reload(self) -> bool:
        """Read the file if it changed; True if that gave new users. Raises UsersError (once per change)
        if the changed file is broken or gone; `users` then stays what it was."""
        stamp = self._stat()  # before reading: a change during the read shows as another change next time
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        self.users = Users.load(self.path)
        return True


@contextlib.contextmanager
def _changing(path: Path):
    """Hold the users file's lock while it is read, changed and written."""
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def add_user(path: str | Path, name: str, role: str, token_file: str | Path | None = None,
             cells: list[str] | None = None) -> str:
    """Add a user to the users file (created if absent) and return the new token; with `token_file`, also
    write the token to that new file (mode 0600) before the user exists, so a refused file adds no one.
    `cells`: a grid officer's grid ids."""
    if role not in ROLES:
        raise UsersError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if cells is not None:
        _check_cells(cells, role, f"user {name!r}")
    if not name or not name.isprintable() or len(name) > 64:
        raise UsersError("a user name is 1-64 printable characters")
    path = Path(path)
    with _changing(path):
        entries = _read_entries(path) if path.exists() else {}
        if name in entries:
            raise UsersError(f"user {name!r} already exists in {path}")
        token = secrets.token_urlsafe(32)
        entries[name] = {"role": role, "token_sha256": _digest(token)}
        if cells is not None:
            entries[name]["cells"] = list(cells)
        if token_file is not None:
            write_token_file(token_file, token)
        try:
            _write_entries(path, entries)
        except BaseException:
            if token_file is not None:
                os.unlink(token_file)
            raise
    return token


def remove_user(path: str | Path, name: str) -> None:
    """Remove a user: a server watching the file closes the user's connections."""
    path = Path(path)
    with _changing(path):
        entries = _read_entries(path)
        if name not in entries:
            raise UsersError(f"there is no user {name!r} in {path}")
        del entries[name]
        _write_entries(path, entries)


def list_users(path: str | Path) -> list[tuple[str, str]]:
    """Each user's name and role, by name."""
    return sorted((name, entry["role"]) for name, entry in _read_entries(Path(path)).items())


def write_token_file(path: str | Path, token: str) -> None:
    """Write a token to a new file of mode 0600; an existing file is never overwritten."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsersError(f"token file {path} already exists; not overwriting it") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token + "\n")


def read_token_file(path: str | Path) -> str:
    """The token in a file only its owner can read (like ssh's private keys: refused otherwise)."""
    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise UsersError(f"permissions {mode:04o} for token file {path} are too open: it must not be "
                             f"readable by group or others (chmod 600 {path})")
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsersError(f"token file {path} is unreadable: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsersError(f"token file {path} is not text") from None
    if not token:
        raise UsersError(f"token file {path} is empty")
    return token
