"""Parsing the loose values portals send: dates in a dozen shapes, sizes, e-mail addresses, lists in one string."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

UTC8 = timezone(timedelta(hours=8))
SPLIT_DEFAULT = r"[、，,;；|\n]+"

_CN_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?\s*(.*)$")
_GLUED = re.compile(r"^(\d{4}-\d{2}-\d{2})(\d{2}:\d{2}(:\d{2})?.*)$")  # 2021-07-0603:25:19
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SLASHED = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(.*)$")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


class BadValue(ValueError):
    """A value that cannot be read as what the mapping says it is."""


def parse_datetime(value: object, default_tz: timezone = timezone.utc) -> datetime | date:
    """A ``datetime`` (aware; ``default_tz`` for naive input) or a ``date`` for date-only input."""
    if value.__class__ is str and len(value) >= 19 and value[10] == "T" and value[4] == "-":
        try:  # the common shape (CKAN's metadata_created, ISO 8601 timestamps), without the cache or patterns
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=default_tz)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_epoch(float(value), default_tz)
    text = str(value).strip()
    parsed = _parse_text(text)
    if parsed is None:
        raise BadValue(f"invalid date {text[:60]!r}")
    if isinstance(parsed, datetime) and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    return parsed


def _from_epoch(number: float, tz: timezone) -> datetime:
    if number > 1e11:  # epoch milliseconds
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, tz=timezone.utc).astimezone(tz)
    except (OverflowError, OSError, ValueError) as exc:
        raise BadValue(f"invalid timestamp {number!r}") from exc


@lru_cache(maxsize=4096)
def _parse_text(text: str) -> datetime | date | None:
    if text.isdigit() and len(text) >= 10:
        return _from_epoch(float(text), timezone.utc)
    m = _COMPACT.match(text)
    if m:
        return _try_date("-".join(m.groups()))
    candidate = text.replace("Z", "+00:00") if text.endswith("Z") else text
    if len(candidate) == 10:
        try:
            return date.fromisoformat(candidate)
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        pass
    return _parse_variants(text)


def _parse_variants(text: str) -> datetime | date | None:
    m = _GLUED.match(text)
    if m:
        return _try_iso(f"{m.group(1)}T{m.group(2)}")
    m = _CN_DATE.match(text) or _SLASHED.match(text)
    if m:
        y, mo, d, rest = m.groups()
        day = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"
        rest = rest.strip()
        return _try_iso(f"{day}T{rest}") if rest else _try_date(day)
    return None


def _try_iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _try_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_nonneg_int(value: object) -> int:
    if isinstance(value, bool):
        raise BadValue(f"not a number: {value!r}")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip().replace(",", "")
        try:
            number = int(float(text)) if "." in text or "e" in text.lower() else int(text)
        except ValueError as exc:
            raise BadValue(f"not a number: {text[:40]!r}") from exc
    if number < 0:
        raise BadValue(f"negative number: {number}")
    return number


def is_email(text: str) -> bool:
    return bool(_EMAIL.match(text))


@lru_cache(maxsize=16)
def _splitter(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def split_values(text: str, pattern: str = SPLIT_DEFAULT) -> list[str]:
    return [part.strip() for part in _splitter(pattern).split(text) if part.strip()]
