"""The site's languages: Chinese first, English second; UI strings from web/i18n/{zh,en}.json, labels from vocab.

The language is chosen by ``?lang=zh|en`` (remembered in a cookie), else the cookie, else Chinese.
Views and templates translate with ``_("search.count", count=n)``; a key missing from the English catalog
falls back to the Chinese text, and a key missing from both shows the key itself (tests catch those).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from flask import Flask, Response, g, request
from markupsafe import Markup

from harvester import vocab

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
CATALOG_DIR = Path(__file__).parent / "i18n"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]{2}")


@cache
def catalog(lang: str) -> dict[str, str]:
    """The UI strings of one language (read once per process)."""
    with (CATALOG_DIR / f"{lang}.json").open(encoding="utf-8") as fh:
        return dict(json.load(fh))


def translate(key: str, lang: str, **values: object) -> str:
    text = catalog(lang).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**values) if values else text


def current_language() -> str:
    return str(g.get("lang", DEFAULT_LANGUAGE))


def gettext(key: str, **values: object) -> str:
    """``_()``: the UI string ``key`` in the request's language, with ``{name}`` fields filled."""
    return translate(key, current_language(), **values)


_ = gettext


def text_lang(text: object) -> Markup:
    """`` lang="…"`` for harvested text in a language other than the page's (Chinese text on an English
    page, English text on a Chinese page), so screen readers and fonts pick the right language; else ''."""
    if not isinstance(text, str) or not text:
        return Markup("")
    if _CJK.search(text):
        language = "zh"
    elif _LATIN.search(text):
        language = "en"
    else:
        return Markup("")
    if language == current_language():
        return Markup("")
    return Markup(' lang="%s"') % HTML_LANG[language]


def vocab_label(iri_or_code: str, kind: str | None = None) -> str:
    """The label of a vocabulary concept (IRI, or code within ``kind``) in the request's language."""
    lang = current_language()
    if not iri_or_code:
        return ""
    if kind is not None:
        found = vocab.concept(iri_or_code, kind)
        if found is not None:
            return found.label(lang)
        if not iri_or_code.startswith(("http://", "https://")):
            return iri_or_code
    return vocab.label(iri_or_code, lang)


def _choose_language() -> None:
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        g.lang, g.lang_asked = asked, True
        return
    cookie = request.cookies.get(COOKIE, "")
    g.lang = cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE
    g.lang_asked = False


def _remember_language(response: Response) -> Response:
    if g.get("lang_asked") and request.cookies.get(COOKIE) != g.lang:
        response.set_cookie(COOKIE, g.lang, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response


def init_app(app: Flask) -> None:
    """Pick the language per request and give templates ``_``, ``lang``, ``html_lang`` and ``vocab_label``."""
    app.before_request(_choose_language)
    app.after_request(_remember_language)
    app.jinja_env.globals.update(_=gettext, vocab_label=vocab_label, text_lang=text_lang)

    @app.context_processor
    def language_context() -> dict[str, object]:
        lang = current_language()
        return {"lang": lang, "html_lang": HTML_LANG[lang],
                "other_lang": "en" if lang == "zh" else "zh"}
