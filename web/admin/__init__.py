"""The operator pages under ``/admin``: sources with their health, jobs, deletions, and a JSON API for scripts.

``register(app, ctx)`` adds them to the site's Flask app. Every admin route needs a logged-in operator
(accounts made with ``harvester user add``) or, under ``/admin/api/``, an API token; see web.admin.auth.
"""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, url_for
from werkzeug.wrappers import Response

from harvester.context import Context
from harvester.users import Users
from web.admin import api, auth, jobs, sources
from web.admin.i18n import admin_gettext

bp = Blueprint("admin", __name__, url_prefix="/admin", static_folder="static",
               static_url_path="/static")


@bp.get("/")
def home() -> Response:
    return redirect(url_for("admin.sources.index"))


@bp.context_processor
def admin_template_context() -> dict[str, object]:
    return {"_": admin_gettext, "csrf_token": auth.csrf_token, "current_user": auth.current_user,
            "csrf_field": auth.CSRF_FIELD, "format_duration": format_duration}


def format_duration(seconds: float | None) -> str:
    """A job's duration as people read it: 4.2 s, 3 min 5 s, 2 h 10 min; a dash while it runs."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


@bp.after_request
def no_store(response: Response) -> Response:
    """Operator pages show live state and private data: never cached, never framed."""
    response.headers["Cache-Control"] = "no-store"
    return response


bp.before_request(auth.guard)
for child in (auth.bp, sources.bp, jobs.bp, api.bp):
    bp.register_blueprint(child)


def register(app: Flask, ctx: Context) -> None:
    """Serve the admin pages from ``app`` (made by web.create_app around ``ctx``); once per app."""
    if bp.name in app.blueprints:
        return
    app.extensions["harvester_users"] = Users(ctx.settings.state_path)
    app.extensions["harvester_login_throttle"] = auth.LoginThrottle()
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:  # the session cookie stays home on cross-site posts
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.register_blueprint(bp)
