"""Users and their tokens. The users file keeps only a SHA-256 of each token.

Tokens are 256 random bits, so a plain hash is enough: there is nothing to brute-force that a slow
password hash would protect.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from dispatch.domain import ROLES


class UsersError(ValueError):
    pass


@dataclass(frozen=True)
class User:
    name: str
    role: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Users:
    def __init__(self, by_digest: dict[str, User]):
        self._by_digest = by_digest

    @classmethod
    def load(cls, path: str | Path) -> "Users":
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsersError(f"users file {path} does not exist (create it with `onemap users add`)") from None
        except (OSError, ValueError) as exc:
            raise UsersError(f"users file {path} is unreadable: {exc}") from None
        by_digest = {}
        for name, entry in raw.get("users", {}).items():
            if entry.get("role") not in ROLES or not isinstance(entry.get("token_sha256"), str):
                raise UsersError(f"users file {path}: user {name!r} needs a role in {ROLES} and a token_sha256")
            by_digest[entry["token_sha256"]] = User(name, entry["role"])
        return cls(by_digest)

    def authenticate(self, token: object) -> User | None:
        if not isinstance(token, str) or not token:
            return None
        return self._by_digest.get(_digest(token))


def add_user(path: str | Path, name: str, role: str) -> str:
    """Add a user to the users file (created if absent) and return the new token."""
    if role not in ROLES:
        raise UsersError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not name or not name.isprintable() or len(name) > 64:
        raise UsersError("a user name is 1-64 printable characters")
    path = Path(path)
    raw = {"users": {}}
    if path.exists():
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise UsersError(f"users file {path} is unreadable: {exc}") from None
    if name in raw["users"]:
        raise UsersError(f"user {name!r} already exists in {path}")
    token = secrets.token_urlsafe(32)
    raw["users"][name] = {"role": role, "token_sha256": _digest(token)}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(raw, indent=2, ensure_ascii=False), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return token
