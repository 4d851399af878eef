"""Who may use /admin: operators logged in with a password (session cookie) or scripts with an API token.

Every admin route is closed by default: ``guard`` runs before each request of the admin blueprints and
lets through only the login page and the admin stylesheet. Pages answer a visitor who is not logged in
with a redirect to the login page; ``/admin/api/…`` answers 401 and accepts ``Authorization: Bearer``.
Every unsafe request authenticated by the session cookie must carry the session's CSRF token (a form
field ``csrf_token`` or an ``X-CSRF-Token`` header); token requests carry no ambient credential and need none.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from harvester.users import User, Users
from web.admin.i18n import admin_gettext as _

bp = Blueprint("auth", __name__)

SESSION_USER = "admin_user"
SESSION_CSRF = "admin_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: endpoints open to everyone: the login form itself and the stylesheet it uses
PUBLIC_ENDPOINTS = frozenset({"admin.auth.login", "admin.static"})
API_BLUEPRINT = "admin.api"
#: failed logins per user name allowed within THROTTLE_SECONDS before further attempts wait
THROTTLE_FAILURES = 5
THROTTLE_SECONDS = 300


class LoginThrottle:
    """Slows password guessing: after a few failures a name is refused for a while (per process)."""

    def __init__(self, failures: int = THROTTLE_FAILURES, seconds: float = THROTTLE_SECONDS) -> None:
        self.failures, self.seconds = failures, seconds
        self._failed: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, name: str) -> bool:
        with self._lock:
            recent = self._recent(name)
            return len(recent) >= self.failures

    def failed(self, name: str) -> None:
        with self._lock:
            self._recent(name).append(time.monotonic())

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failed.pop(name, None)

    def _recent(self, name: str) -> deque[float]:
        recent = self._failed[name]
        while recent and recent[0] < time.monotonic() - self.seconds:
            recent.popleft()
        return recent


def users() -> Users:
    return current_app.extensions["harvester_users"]  # type: ignore[no-any-return]


def throttle() -> LoginThrottle:
    return current_app.extensions["harvester_login_throttle"]  # type: ignore[no-any-return]


def current_user() -> User | None:
    return g.get("admin_user")


def csrf_token() -> str:
    """The session's CSRF token (made on first use); templates put it in every form."""
    token = session.get(SESSION_CSRF)
    if not token:
        token = session[SESSION_CSRF] = secrets.token_urlsafe(32)
    return str(token)


def guard() -> Response | tuple[Response | str, int] | None:
    """Before every admin request: authenticate, refuse strangers, check CSRF on unsafe requests."""
    by_token = request.blueprint == API_BLUEPRINT and request.authorization is not None
    g.admin_user = _user_from_token() if by_token else _user_from_session()
    if g.admin_user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        return _refuse()
    if request.method in UNSAFE_METHODS and not by_token and not _csrf_ok():
        return _csrf_failure()
    return None


def _user_from_session() -> User | None:
    name = session.get(SESSION_USER)
    if not name:
        return None
    user = users().user(str(name))
    if user is None:  # removed since logging in: the session ends
        session.pop(SESSION_USER, None)
    return user


def _user_from_token() -> User | None:
    auth = request.authorization
    if auth is None or auth.type != "bearer" or not auth.token:
        return None
    return users().user_for_token(auth.token)


def _refuse() -> Response | tuple[Response, int]:
    if request.blueprint == API_BLUEPRINT:
        response = jsonify({"error": "authentication required: log in, or send 'Authorization: Bearer TOKEN' "
                                     "(make one with 'harvester user token NAME')"})
        response.headers["WWW-Authenticate"] = 'Bearer realm="harvester admin"'
        return response, 401
    return redirect(url_for("admin.auth.login", next=request.full_path.rstrip("?")))


def _csrf_ok() -> bool:
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = session.get(SESSION_CSRF) or ""
    return bool(sent and expected) and hmac.compare_digest(str(sent), str(expected))


def _csrf_failure() -> tuple[Response | str, int]:
    if request.blueprint == API_BLUEPRINT:
        return jsonify({"error": "missing or wrong CSRF token (send X-CSRF-Token, or use a Bearer token)"}), 400
    return render_template("admin/message.html", title=_("admin.csrf.title"),
                           message=_("admin.csrf.message")), 400


def safe_next(target: str | None) -> str:
    """Where to go after logging in: only a path inside /admin on this site (no open redirect)."""
    fallback = url_for("admin.sources.index")
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin/") or "\\" in target:
        return fallback
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_url)
        return render_template("admin/login.html", name="", next_url=next_url, error=None)
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    if throttle().blocked(name):
        return render_template("admin/login.html", name=name, next_url=next_url,
                               error=_("admin.login.throttled")), 429
    if not users().verify_password(name, password):
        throttle().failed(name)
        return render_template("admin/login.html", name=name, next_url=next_url,
                               error=_("admin.login.wrong")), 401
    throttle().succeeded(name)
    session.clear()  # a fresh session: no fixation, a new CSRF token
    session[SESSION_USER] = name
    csrf_token()
    return redirect(next_url)


@bp.post("/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("admin.auth.login"))
