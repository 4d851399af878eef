"""Operator accounts and API tokens for the admin pages, kept in state.db beside the harvest state.

Passwords are stored as ``werkzeug.security`` hashes (scrypt with a per-user salt). API tokens are random
strings shown once when made and stored as SHA-256 digests: neither a password nor a token can be read
back from the database.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    digest TEXT PRIMARY KEY, user_name TEXT NOT NULL, created TEXT NOT NULL, last_used TEXT
);
CREATE INDEX IF NOT EXISTS api_tokens_by_user ON api_tokens (user_name);
"""

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
#: tokens start with this, so a leaked one is easy to recognise in logs and secret scanners
TOKEN_PREFIX = "hvt_"


@dataclass(frozen=True)
class User:
    name: str
    created: datetime
    #: how many API tokens the user holds
    tokens: int = 0


def validate_user_name(name: str) -> str:
    if not USER_NAME.match(name):
        raise ValueError(f"user name {name!r} must be 1-64 letters, digits, '.', '_', '-' or '@', "
                         "starting with a letter or digit")
    return name


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    return password


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@cache
def _decoy_hash() -> str:
    """A hash checked for unknown user names, so a wrong name costs as long as a wrong password."""
    return generate_password_hash(secrets.token_hex(16))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Users:
    """The accounts table of one state.db, on a connection of its own (WAL, shared by threads under a lock)."""

    def __init__(self, state_path: Path | str) -> None:
        path = Path(state_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def create_user(self, name: str, password: str) -> User:
        """A new account; ValueError if the name is taken or malformed, or the password too short."""
        validate_user_name(name)
        hashed = generate_password_hash(validate_password(password))
        created = _now()
        try:
            self._run("INSERT INTO users (name, password_hash, created) VALUES (?,?,?)", (name, hashed, created))
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"user {name!r} already exists") from exc
        return User(name, datetime.fromisoformat(created))

    def set_password(self, name: str, password: str) -> None:
        hashed = generate_password_hash(validate_password(password))
        with self._lock:
            changed = self._db.execute("UPDATE users SET password_hash=? WHERE name=?", (hashed, name)).rowcount
        if not changed:
            raise ValueError(f"no user {name!r}")

    def verify_password(self, name: str, password: str) -> bool:
        """Whether ``password`` is ``name``'s; as slow for an unknown name as for a wrong password."""
        rows = self._run("SELECT password_hash FROM users WHERE name=?", (name,))
        if not rows:
            check_password_hash(_decoy_hash(), password)
            return False
        return check_password_hash(rows[0][0], password)

    def user(self, name: str) -> User | None:
        rows = self._run("SELECT u.name, u.created, count(t.digest) FROM users u LEFT JOIN api_tokens t "
                         "ON t.user_name = u.name WHERE u.name=? GROUP BY u.name", (name,))
        return User(rows[0][0], datetime.fromisoformat(rows[0][1]), rows[0][2]) if rows else None

    def users(self) -> list[User]:
        rows = self._run("SELECT u.name, u.created, count(t.digest) FROM users u LEFT JOIN api_tokens t "
                         "ON t.user_name = u.name GROUP BY u.name ORDER BY u.name")
        return [User(name, datetime.fromisoformat(created), tokens) for name, created, tokens in rows]

    def remove_user(self, name: str) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM api_tokens WHERE user_name=?", (name,))
            removed = self._db.execute("DELETE FROM users WHERE name=?", (name,)).rowcount
            self._db.execute("COMMIT")
        if not removed:
            raise ValueError(f"no user {name!r}")

    def create_token(self, name: str) -> str:
        """A new API token for ``name``; the only time it is seen in clear."""
        if self.user(name) is None:
            raise ValueError(f"no user {name!r}; add one with 'harvester user add {name}'")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._run("INSERT INTO api_tokens (digest, user_name, created) VALUES (?,?,?)",
                  (token_digest(token), name, _now()))
        return token

    def revoke_tokens(self, name: str) -> int:
        with self._lock:
            return int(self._db.execute("DELETE FROM api_tokens WHERE user_name=?", (name,)).rowcount)

    def user_for_token(self, token: str) -> User | None:
        """The user holding this API token, or None; notes when the token was last used."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = token_digest(token)
        rows = self._run("SELECT user_name FROM api_tokens WHERE digest=?", (digest,))
        if not rows:
            return None
        self._run("UPDATE api_tokens SET last_used=? WHERE digest=?", (_now(), digest))
        return self.user(rows[0][0])
