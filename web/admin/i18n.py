"""The admin pages' own UI strings (web/admin/i18n/{zh,en}.json), looked up before the site's catalogs.

Admin templates and views translate with ``_()`` as everywhere else; inside the admin blueprint that
name is ``admin_gettext``, which falls back to the site's ``web.i18n`` for keys it does not hold.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from web import i18n

CATALOG_DIR = Path(__file__).parent / "i18n"


@cache
def admin_catalog(lang: str) -> dict[str, str]:
    """The admin strings of one language (read once per process)."""
    with (CATALOG_DIR / f"{lang}.json").open(encoding="utf-8") as fh:
        return dict(json.load(fh))


def admin_translate(key: str, lang: str, **values: object) -> str:
    text = admin_catalog(lang).get(key) or admin_catalog(i18n.DEFAULT_LANGUAGE).get(key)
    if text is None:
        return i18n.translate(key, lang, **values)
    return text.format(**values) if values else text


def admin_gettext(key: str, **values: object) -> str:
    """``_()`` inside /admin: the admin string ``key`` in the request's language, else the site's."""
    return admin_translate(key, i18n.current_language(), **values)
