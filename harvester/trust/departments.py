"""One name per department across portals: 济南市交通局, 济南市交通运输局 and its 统一社会信用代码 are the same publisher.

The curated list is vocab/departments/*.yaml (each department's shown name, English name, credit code and the
other names portals use). Search documents carry the shown name, so the publisher facet, department pages and
duplicate detection see one department; names that match nothing are reported to operators.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from harvester import VOCAB_DIR

DEPARTMENTS_DIR = VOCAB_DIR / "departments"
_NOISE = re.compile(r"[\s·•()（）\[\]【】\"'“”‘’]+")


@dataclass(frozen=True)
class Department:
    name: str
    name_en: str
    credit_code: str


def normalise_name(name: str) -> str:
    """NFKC, no spaces or brackets, lower case: the form names are compared in."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", name)).lower()


@cache
def _table(directory: Path = DEPARTMENTS_DIR) -> dict[str, Department]:
    table: dict[str, Department] = {}
    for path in sorted(directory.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, entry in (doc.get("departments") or {}).items():
            if not isinstance(entry, dict):
                raise ValueError(f"{path.name}: department {name!r} should be a mapping (en, credit_code, aliases)")
            department = Department(str(name), str(entry.get("en", "")), str(entry.get("credit_code", "")))
            for alias in [name, department.name_en, department.credit_code, *(entry.get("aliases") or [])]:
                if alias:
                    table.setdefault(normalise_name(str(alias)), department)
    return table


def department(name: str) -> Department | None:
    """The curated department a published name (or credit code) stands for, or None."""
    return _table().get(normalise_name(name)) if name else None


def shown_name(name: str) -> str:
    """The department's curated name, or the published name itself when the list does not know it."""
    known = department(name)
    return known.name if known else name.strip()
