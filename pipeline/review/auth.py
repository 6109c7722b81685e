"""Accounts, sessions, CSRF and login rate limiting for the review app.

Passwords: argon2id (argon2-cffi). Sessions: a random token in an HttpOnly SameSite=Strict cookie; the DB keeps only
its sha256, the user, a per-session CSRF token and the expiry. Every write must echo the CSRF token (form field
`csrf_token` or header `X-CSRF-Token`). Login: at most review.login_max_failures failed attempts per user and per
address within review.login_window_s, then 429 until the window passes (checked before the password is verified).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from pipeline.errors import MatlitError
from pipeline.review.store import assignments, audit, login_failures, sessions, users, write_conn

ROLES = ("curator", "admin")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    username: str
    role: str
    csrf: str
    papers: frozenset[str] | None  # None = every paper (admin, or a curator without assignments)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_see(self, paper_id: str) -> bool:
        return self.papers is None or paper_id in self.papers


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)


def add_user(engine, username: str, password: str, role: str = "curator", papers: list[str] | None = None,
             by: str = "(cli)") -> None:
    """Create or update an account (password, role) and replace its paper assignments when `papers` is given."""
    if not USERNAME_RE.match(username):
        raise MatlitError(f"user name {username!r}: use 1-64 letters, digits, '_', '.', '@' or '-'")
    if role not in ROLES:
        raise MatlitError(f"role {role!r}: must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise MatlitError(f"user {username}: password must have at least 8 characters")
    pw_hash = _hasher.hash(password)
    with write_conn(engine) as c, c.begin():
        exists = c.execute(select(users.c.username).where(users.c.username == username)).first()
        if exists:
            c.execute(users.update().where(users.c.username == username).values(pw_hash=pw_hash, role=role))
        else:
            c.execute(users.insert().values(username=username, pw_hash=pw_hash, role=role, created_at=_now()))
        if papers is not None:
            c.execute(delete(assignments).where(assignments.c.username == username))
            if papers:
                c.execute(assignments.insert(), [{"username": username, "paper_id": p} for p in sorted(set(papers))])
        c.execute(audit.insert().values(at=_now(), username=by, action="adduser" if not exists else "updateuser",
                                        detail=f"{username} role={role} papers={sorted(papers) if papers else 'all'}"))


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


def check_rate(engine, username: str, address: str, max_failures: int, window_s: float) -> None:
    since = _now() - timedelta(seconds=window_s)
    with engine.connect() as c:
        for col, val in ((login_failures.c.username, username), (login_failures.c.address, address)):
            n, first = c.execute(
                select(func.count(), func.min(login_failures.c.at)).where(col == val, login_failures.c.at >= since)
            ).one()
            if n >= max_failures:
                wait = window_s - (_now() - _aware(first)).total_seconds()
                raise RateLimited(max(1, int(wait + 0.999)))


def login(engine, username: str, password: str, address: str, max_failures: int, window_s: float,
          session_hours: float) -> str | None:
    """A new session token, or None for a wrong user/password (recorded for rate limiting). Raises RateLimited."""
    username = username[:64]
    check_rate(engine, username, address, max_failures, window_s)
    with engine.connect() as c:
        row = c.execute(select(users.c.pw_hash).where(users.c.username == username)).first()
    ok = False
    if row is not None:
        try:
            ok = _hasher.verify(row.pw_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        _hasher.hash(password)  # same cost for unknown users: no user enumeration by timing
    with write_conn(engine) as c, c.begin():
        if not ok:
            c.execute(login_failures.insert().values(username=username, address=address[:64], at=_now()))
            return None
        token = secrets.token_urlsafe(32)
        c.execute(sessions.insert().values(
            token_hash=_digest(token), username=username, csrf=secrets.token_urlsafe(32), created_at=_now(),
            expires_at=_now() + timedelta(hours=session_hours)))
        c.execute(audit.insert().values(at=_now(), username=username, action="login", detail=address[:64]))
    return token


def logout(engine, token: str) -> None:
    with write_conn(engine) as c, c.begin():
        c.execute(delete(sessions).where(sessions.c.token_hash == _digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_user(engine, token: str | None) -> User | None:
    if not token or len(token) > 200:
        return None
    with engine.connect() as c:
        row = c.execute(
            select(sessions.c.csrf, sessions.c.expires_at, users.c.username, users.c.role)
            .join(users, users.c.username == sessions.c.username)
            .where(sessions.c.token_hash == _digest(token))
        ).first()
        if row is None or _aware(row.expires_at) < _now():
            return None
        papers = None
        if row.role != "admin":
            assigned = c.execute(select(assignments.c.paper_id).where(assignments.c.username == row.username)).all()
            papers = frozenset(r.paper_id for r in assigned) or None
    return User(username=row.username, role=row.role, csrf=row.csrf, papers=papers)


def csrf_ok(user: User, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(user.csrf.encode(), str(token).encode())
