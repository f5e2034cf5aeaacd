"""Which event store a server opens: `--db PATH` or `--store URL` (sqlite:///PATH, postgresql://...)."""
from __future__ import annotations

import functools
from pathlib import Path

from dispatch.event_store import StoreFactory

SCHEMES = ("sqlite:///", "postgresql://", "postgres://")


def store_factory(spec: str) -> StoreFactory:
    """The factory of the store `spec` names: a SQLite file's path or URL, or a libpq connection URL (several
    hosts allowed: postgresql://h1,h2/db?target_session_attrs=read-write reaches whichever is the primary)."""
    if spec.startswith(("postgresql://", "postgres://")):
        from dispatch.pg_store import PgEventStore  # psycopg only when it is used

        return functools.partial(PgEventStore, spec)
    if spec.startswith("sqlite:///"):
        spec = spec[len("sqlite:///"):]
        if not spec:
            raise ValueError("sqlite:/// names no file: sqlite:////abs/path.db or sqlite:///relative.db")
    elif "://" in spec:
        raise ValueError(f"{spec.split('://', 1)[0]}:// is not a store: give {', '.join(SCHEMES)} or a file's path")
    from dispatch.store import EventStore

    return functools.partial(EventStore, Path(spec))

