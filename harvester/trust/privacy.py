"""Personal data in harvested metadata: find ID card numbers, mobiles, personal e-mail, redact them, report them.

The rules (patterns, checks, masks, where they apply) live in vocab/privacy/rules.yaml. ``redact_record``
runs on every mapped record before it is stored or indexed, so it is built for the common case of a record
with nothing personal: a few cheap trigger regexes over the record's literals joined in one string, and the
input list back. Only the literals a trigger fires on are parsed and matched against the rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from harvester import VOCAB_DIR
from harvester.dcat.rdf import PREFIXES, XSD, literal, literal_parts, term, typed

DEFAULT_RULES = VOCAB_DIR / "privacy" / "rules.yaml"
DEFAULT_PLACEHOLDER = "［已隐去］"

Triples = list[tuple[str, str, str]]
IsPersonal = Callable[[str], bool]

_RULE_KEYS = frozenset({"description", "pattern", "trigger", "check", "mask", "predicates", "iri_schemes",
                        "not_after"})
# Other XSD-typed literals are numbers, dates, sizes: not text a person's details can hide in, and a byte
# size of 13812345678 must not read as a phone number.
_TEXT_XSD = frozenset({XSD + "string", XSD + "normalizedString", XSD + "token", XSD + "anyURI"})
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Full-width forms (１３８…, ＠, －, the ideographic space) are common in hand-typed Chinese text. Folding
# them to ASCII one character for one keeps every position, so the rules can be written for ASCII only.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_FULLWIDTH_MARKS = tuple("０１２３４５６７８９＠")


class PrivacyRulesError(ValueError):
    """The privacy rules file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Finding:
    """One piece of personal data found in a record, as operators see it."""

    kind: str  # the rule's name: id_card, mobile, email …
    field: str  # the predicate as a CURIE when it has a known prefix: dct:description, vcard:hasEmail
    subject: str  # the IRI (without <>) of the node holding it: the dataset, a distribution, a contact
    excerpt: str  # masked: 3701************12, 138****5678, z***@163.com — never the whole value

    def as_flag(self) -> tuple[str, str, str]:
        """(kind, field, excerpt): the row TrustRegister.replace_flags keeps."""
        return self.kind, self.field, self.excerpt


@dataclass(frozen=True, eq=False)  # hashed by identity: a cache key, and its checks are functions
class Rule:
    kind: str
    pattern: re.Pattern[str]
    triggers: tuple[str, ...]
    is_personal: IsPersonal
    mask: Callable[[str], str]
    predicates: frozenset[str] | None  # N-Triples IRIs (<…>); None: every predicate
    iri_schemes: tuple[str, ...]
    not_after: tuple[str, ...]
    not_after_within: int

    def applies_to(self, predicate: str) -> bool:
        return self.predicates is None or predicate in self.predicates


@dataclass(frozen=True, eq=False)  # hashed by identity: the cache of _redacted_object is keyed on it
class Rules:
    path: Path
    placeholder: str
    rules: tuple[Rule, ...]
    triggers: tuple[re.Pattern[str], ...]  # every rule's triggers, and one for the IRI schemes: the fast path
    iri_schemes: frozenset[str]  # lower case: mailto, tel
    initials: str  # '"' and the schemes' first letters, both cases: the objects the triggers read

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(rule.kind for rule in self.rules)


# --- checks ------------------------------------------------------------------------------------------

_ID_PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
                           50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83})


def valid_id_card(value: str) -> bool:
    """A real 18-character resident ID: known province, birth date 1900-01-01..today, GB 11643 checksum."""
    if len(value) != 18 or not value[:17].isdigit() or int(value[:2]) not in _ID_PROVINCES:
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if not date(1900, 1, 1) <= born <= date.today():
        return False
    # ISO 7064 MOD 11-2: weight of position i (from the left, 0-based) is 2^(17-i) mod 11.
    total = sum(int(digit) * pow(2, 17 - i, 11) for i, digit in enumerate(value[:17]))
    check = (12 - total % 11) % 11
    return value[17].upper() == ("X" if check == 10 else str(check))


def luhn_valid(value: str) -> bool:
    """The Luhn (ISO/IEC 7812) check of card numbers; separators ignored."""
    digits = [int(ch) for ch in value if ch.isdigit()]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
    return len(digits) > 1 and total % 10 == 0


def _domain_matcher(domains: list[str]) -> Callable[[str], bool]:
    exact = frozenset(domains)
    suffixes = tuple("." + d for d in domains)
    return lambda domain: domain in exact or domain.endswith(suffixes)


def _personal_email(options: Mapping[str, Any], where: str) -> IsPersonal:
    """Personal: at a personal provider, or (unknown_domains: redact) anywhere off the official domains."""
    personal = _domain_matcher(_domain_list(options, "personal_domains", where))
    official = _domain_matcher(_domain_list(options, "official_domains", where))
    unknown = options.get("unknown_domains", "keep")
    if unknown not in ("keep", "redact"):
        raise PrivacyRulesError(f"{where}.unknown_domains: expected keep or redact, got {unknown!r}")
    redact_unknown = unknown == "redact"

    def is_personal(address: str) -> bool:
        domain = address.rpartition("@")[2].lower()
        if official(domain):
            return False
        return redact_unknown or personal(domain)
    return is_personal


def _domain_list(options: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = options.get(key, [])
    if not isinstance(value, list) or not all(isinstance(d, str) and d.strip(". ") for d in value):
        raise PrivacyRulesError(f"{where}.{key}: expected a list of domain names")
    return [d.strip(". ").lower() for d in value]


CheckFactory = Callable[[Mapping[str, Any], str], IsPersonal]
#: check name → (the rule keys it reads, a factory of the check from the rule's settings)
CHECKS: dict[str, tuple[frozenset[str], CheckFactory]] = {
    "gb11643": (frozenset(), lambda options, where: valid_id_card),
    "luhn": (frozenset(), lambda options, where: luhn_valid),
    "personal_email": (frozenset({"personal_domains", "official_domains", "unknown_domains"}), _personal_email),
}


# --- masks -------------------------------------------------------------------------------------------

def mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    """``13812345678`` → ``138****5678``; at least a third of the letters and digits stay hidden."""
    chars = [ch for ch in value if ch.isalnum()]
    visible = max(0, len(chars) - max(1, (len(chars) + 2) // 3))
    start = min(keep_start, visible)
    end = min(keep_end, visible - start)
    return "".join(chars[:start]) + "*" * (len(chars) - start - end) + "".join(chars[len(chars) - end:])


def mask_email(value: str) -> str:
    """``zhangsan@163.com`` → ``z***@163.com`` (the whole local part hidden when it is short)."""
    local, _, domain = value.rpartition("@")
    return (local[0] if len(local) > 2 else "") + "***@" + domain.lower()


def _mask(spec: Any, where: str) -> Callable[[str], str]:
    if spec == "email":
        return mask_email
    if spec is None:
        spec = {}
    if isinstance(spec, dict) and set(spec) <= {"keep_start", "keep_end"} and all(
            isinstance(n, int) and n >= 0 for n in spec.values()):
        keep_start, keep_end = spec.get("keep_start", 0), spec.get("keep_end", 0)
        return lambda value: mask_middle(value, keep_start, keep_end)
    raise PrivacyRulesError(f"{where}.mask: expected 'email' or {{keep_start: N, keep_end: M}}, got {spec!r}")


# --- loading the rules -------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def load_rules(path: Path | None = None) -> Rules:
    """The rules of ``path`` (default vocab/privacy/rules.yaml), read once per process."""
    path = Path(path) if path is not None else DEFAULT_RULES
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_YAML_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise PrivacyRulesError(f"cannot read privacy rules {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), dict) or not data["rules"]:
        raise PrivacyRulesError(f"{path}: expected a mapping with a non-empty 'rules' mapping")
    unknown = set(data) - {"placeholder", "rules"}
    if unknown:
        raise PrivacyRulesError(f"{path}: unknown key {min(unknown)!r} (known: placeholder, rules)")
    placeholder = data.get("placeholder", DEFAULT_PLACEHOLDER)
    if not isinstance(placeholder, str):
        raise PrivacyRulesError(f"{path}: placeholder: expected a string")
    rules = tuple(_rule(str(kind), spec, f"{path}: rules.{kind}") for kind, spec in data["rules"].items())
    schemes = frozenset(scheme for rule in rules for scheme in rule.iri_schemes)
    triggers = list(dict.fromkeys(source for rule in rules for source in rule.triggers))
    if schemes:
        triggers.append(f"<(?i:{'|'.join(sorted(map(re.escape, schemes)))}):")
    initials = '"' + "".join(sorted({case(scheme[0]) for scheme in schemes for case in (str.lower, str.upper)}))
    return Rules(path, placeholder, rules, tuple(map(re.compile, triggers)), schemes, initials)


def _rule(kind: str, spec: Any, where: str) -> Rule:
    if not isinstance(spec, dict):
        raise PrivacyRulesError(f"{where}: expected a mapping of rule settings")
    check_name = spec.get("check")
    if check_name is not None and check_name not in CHECKS:
        raise PrivacyRulesError(f"{where}.check: unknown check {check_name!r} (known: {', '.join(CHECKS)})")
    check_keys, factory = CHECKS[check_name] if check_name else (frozenset(), None)
    unknown = set(spec) - _RULE_KEYS - check_keys
    if unknown:
        raise PrivacyRulesError(f"{where}: unknown key {min(unknown)!r}")
    pattern = _regex(spec.get("pattern"), f"{where}.pattern")
    triggers = spec.get("trigger", pattern.pattern)
    triggers = [triggers] if isinstance(triggers, str) else _strings(triggers, f"{where}.trigger")
    for source in triggers:
        _regex(source, f"{where}.trigger")
    words, within = _not_after(spec.get("not_after"), f"{where}.not_after")
    return Rule(kind=kind, pattern=pattern, triggers=tuple(triggers),
                is_personal=factory(spec, where) if factory else (lambda value: True),
                mask=_mask(spec.get("mask"), where),
                predicates=_predicates(spec.get("predicates", "all"), f"{where}.predicates"),
                iri_schemes=tuple(s.lower() for s in _strings(spec.get("iri_schemes", []), f"{where}.iri_schemes")),
                not_after=words, not_after_within=within)


def _regex(source: Any, where: str) -> re.Pattern[str]:
    if not isinstance(source, str) or not source:
        raise PrivacyRulesError(f"{where}: expected a regular expression")
    try:
        return re.compile(source)
    except re.error as exc:
        raise PrivacyRulesError(f"{where}: not a valid regular expression: {exc}") from exc


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PrivacyRulesError(f"{where}: expected a list of strings")
    return value


def _predicates(value: Any, where: str) -> frozenset[str] | None:
    if value == "all":
        return None
    curies = _strings(value, where)
    try:
        return frozenset(term(curie) for curie in curies)
    except ValueError as exc:
        raise PrivacyRulesError(f"{where}: {exc}") from exc


def _not_after(value: Any, where: str) -> tuple[tuple[str, ...], int]:
    if value is None:
        return (), 0
    if not isinstance(value, dict) or set(value) - {"words", "within"}:
        raise PrivacyRulesError(f"{where}: expected {{words: [...], within: N}}")
    within = value.get("within", 12)
    if not isinstance(within, int) or within < 1:
        raise PrivacyRulesError(f"{where}.within: expected a positive number of characters")
    return tuple(_strings(value.get("words"), f"{where}.words")), within


# --- redacting ---------------------------------------------------------------------------------------

def redact_record(triples: Triples, rules: Rules | None = None) -> tuple[Triples, list[Finding]]:
    """The record with its personal data redacted, and what was found.

    Literals keep their text around each match (replaced by the placeholder), their language tag and
    datatype; a personal ``<mailto:…>`` or ``<tel:…>`` object drops its triple. A record with nothing
    personal comes back as the very list given, with no findings.
    """
    rules = rules or load_rules()
    initials = rules.initials
    # Literals and mailto:/tel: IRIs, joined by newlines (never raw inside an N-Triples term): a few regex
    # searches over the lot cost less than one call per literal, and nearly always find nothing.
    candidates = [t for t in triples if t[2][0] == '"' or t[2][1] in initials]
    text = "\n".join([t[2] for t in candidates])
    if any(mark in text for mark in _FULLWIDTH_MARKS):
        text = text.translate(_FOLD)
    hits = _hit_indexes(text, rules.triggers)
    if not hits:
        return triples, []
    findings: list[Finding] = []
    changed: dict[tuple[str, str, str], str | None] = {}
    for index in sorted(hits):
        triple = candidates[index]
        s, p, o = triple
        new, found = _redacted_object(o, p, rules)
        findings += [Finding(kind, short_name(p), s[1:-1], excerpt) for kind, excerpt in found]
        if new != o:  # equal, not the same: the cache hands back the first record's string
            changed[triple] = new
    return (_apply(triples, changed) if changed else triples), findings


def _hit_indexes(text: str, triggers: tuple[re.Pattern[str], ...]) -> set[int]:
    """Which lines of ``text`` a trigger finds something in (the newlines before a hit count its line).

    Each trigger is searched alone: a pattern that starts with a fixed character (``@``, ``1``) lets the
    regex engine skip ahead fast, and joining them in one alternation would lose that (measured: 3×).
    """
    hits: set[int] = set()
    for trigger in triggers:
        line, counted = 0, 0
        for match in trigger.finditer(text):
            line += text.count("\n", counted, match.start())
            counted = match.start()
            hits.add(line)
    return hits


def _apply(triples: Triples, changed: dict[tuple[str, str, str], str | None]) -> Triples:
    """A copy of the triples with the changed objects in; a None object drops its triple."""
    out = []
    for triple in triples:
        if triple not in changed:
            out.append(triple)
        elif (new := changed[triple]) is not None:
            out.append((triple[0], triple[1], new))
    return out


Found = tuple[tuple[str, str], ...]  # (kind, masked excerpt) of each match in one object


@lru_cache(maxsize=4096)
def _redacted_object(o: str, p: str, rules: Rules) -> tuple[str | None, Found]:
    """The object with its personal data out (None: drop the triple), and what was found in it.

    Cached: a department repeats the same contact e-mail, phone and credit code on each of its records.
    """
    if o[0] == '"':
        return _redact_literal(p, o, rules)
    return (None, found) if (found := _personal_iri(p, o, rules)) else (o, ())


def _redact_literal(p: str, o: str, rules: Rules) -> tuple[str, Found]:
    text, lang, datatype = literal_parts(o)
    if datatype is not None and datatype.startswith(XSD) and datatype not in _TEXT_XSD:
        return o, ()
    spans: list[tuple[int, int]] = []
    found: list[tuple[str, str]] = []
    folded = text.translate(_FOLD)
    for rule in rules.rules:
        if not rule.applies_to(p):
            continue
        for match, value in _personal_matches(rule, folded):
            spans.append(match.span())
            found.append((rule.kind, rule.mask(value)))
    if not spans:
        return o, ()
    redacted = _replace_spans(text, spans, rules.placeholder)
    return (typed(redacted, datatype) if datatype else literal(redacted, lang)), tuple(found)


def _personal_matches(rule: Rule, text: str) -> list[tuple[re.Match[str], str]]:
    found = []
    for match in rule.pattern.finditer(text):
        value = match.group("value") if "value" in rule.pattern.groupindex else match.group(0)
        if rule.not_after:
            before = text[max(0, match.start() - rule.not_after_within):match.start()]
            if any(word in before for word in rule.not_after):
                continue
        if rule.is_personal(value):
            found.append((match, value))
    return found


def _replace_spans(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    """Each run of overlapping matches (a mobile that is an e-mail's local part) becomes one placeholder."""
    parts, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            last = max(last, end)
            continue
        parts += [text[last:start], placeholder]
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _personal_iri(p: str, o: str, rules: Rules) -> Found:
    """What is personal in an IRI object read by some rule (mailto:, tel:); nothing for other IRIs."""
    scheme, _, rest = o[1:-1].partition(":")
    scheme = scheme.lower()
    if scheme not in rules.iri_schemes:
        return ()
    value = unquote(rest).translate(_FOLD)
    if scheme == "mailto":
        value = value.partition("?")[0]  # mailto:a@b?subject=…: the query is not the address
    return tuple((rule.kind, rule.mask(found)) for rule in rules.rules
                 if scheme in rule.iri_schemes and rule.applies_to(p)
                 for _match, found in _personal_matches(rule, value))


@lru_cache(maxsize=512)
def short_name(predicate: str) -> str:
    """``<http://purl.org/dc/terms/description>`` → ``dct:description``; the bare IRI for unknown namespaces."""
    value = predicate[1:-1] if predicate.startswith("<") else predicate
    best = max((ns for ns in PREFIXES.values() if value.startswith(ns)), key=len, default=None)
    if best is None:
        return value
    prefix = next(name for name, ns in PREFIXES.items() if ns == best)
    return f"{prefix}:{value[len(best):]}"
