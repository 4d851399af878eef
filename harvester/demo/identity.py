"""Cheap facts of the demo package at an index (department, topic, name, id, timestamps), computed without
generating the package, so a portal can sort, filter and look up a million packages."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

from harvester.demo.departments import DEMO_NAMESPACE, DEPARTMENTS, Department
from harvester.demo.topics import Topic

_MASK64 = (1 << 64) - 1
_EPOCH = datetime(1970, 1, 1)
_NAMESPACE_BYTES = DEMO_NAMESPACE.bytes

#: generated packages were created and modified inside [START_US, END_US) (µs since the epoch, UTC)
START_US = int(datetime(2019, 1, 1, tzinfo=timezone.utc).timestamp()) * 1_000_000
END_US = int(datetime(2026, 10, 1, tzinfo=timezone.utc).timestamp()) * 1_000_000

#: a package id carries its index in its last 48 bits, so indexes must stay below this
MAX_INDEX = 1 << 48

# one independent hash stream per fact, so changing how one fact is drawn leaves the others alone
_SALT_PLACEMENT = 1
_SALT_CREATED = 2
_SALT_MODIFIED = 3
_SALT_DETAILS = 4


def _splitmix64(value: int) -> int:
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


@lru_cache(maxsize=256)
def _stream_key(seed: int, salt: int) -> int:
    return _splitmix64(_splitmix64(seed & _MASK64) ^ salt)


def index_hash(index: int, seed: int, salt: int) -> int:
    """A well-mixed 64-bit number that depends only on (index, seed, salt)."""
    return _splitmix64(_stream_key(seed, salt) ^ index)


def details_seed(index: int, seed: int) -> int:
    """The seed of the random stream that draws a package's remaining details."""
    return index_hash(index, seed, _SALT_DETAILS)


class Placement(NamedTuple):
    """Who publishes the package at an index, on which topic, in which CKAN groups."""

    department: Department
    topic: Topic
    groups: tuple[str, ...]
    #: the position of (department, topic) in PLACEMENTS, small enough for a bytearray
    ordinal: int


#: every (department, topic) pair, in department order
PLACEMENTS: tuple[tuple[Department, Topic], ...] = tuple((d, t) for d in DEPARTMENTS for t in d.topics)
_FIRST_ORDINAL = tuple(accumulate((len(d.topics) for d in DEPARTMENTS[:-1]), initial=0))


def placement_of(index: int, seed: int) -> Placement:
    """The department publishing the package at index, its topic and its groups (the department's first,
    and for two in five packages one more that fits the department)."""
    mixed = index_hash(index, seed, _SALT_PLACEMENT)
    number = mixed % len(DEPARTMENTS)
    department = DEPARTMENTS[number]
    topic_number = (mixed >> 16) % len(department.topics)
    groups = department.groups
    if len(groups) > 1 and (mixed >> 32) % 5 < 2:
        groups = (groups[0], groups[1 + (mixed >> 40) % (len(groups) - 1)])
    else:
        groups = groups[:1]
    return Placement(department, department.topics[topic_number], groups, _FIRST_ORDINAL[number] + topic_number)


def package_name(index: int, seed: int) -> str:
    """The CKAN name (URL slug) of the package at index; the index suffix makes it unique."""
    return f"{placement_of(index, seed).topic.slug}-{index:05d}"


def index_from_name(name: str, seed: int) -> int | None:
    """The index whose package has this name, or None when no index has it."""
    _, _, digits = name.rpartition("-")
    if not digits.isdigit() or len(digits) > 15:
        return None
    index = int(digits)
    return index if package_name(index, seed) == name else None


def package_times_us(index: int, seed: int) -> tuple[int, int]:
    """(metadata_created, metadata_modified) of the package at index, in µs since the epoch (UTC)."""
    created = START_US + index_hash(index, seed, _SALT_CREATED) % (END_US - START_US - 86_400_000_000)
    mixed = index_hash(index, seed, _SALT_MODIFIED)
    if mixed % 4 == 0:  # a quarter were never modified after publication
        return created, created
    fraction = (mixed >> 32) / 4_294_967_296
    return created, created + int((END_US - created) * fraction * fraction)  # squared: most edits come early


def format_ckan_time(micros: int) -> str:
    """µs since the epoch as CKAN writes timestamps: naive UTC ISO 8601 with microseconds."""
    seconds, fraction = divmod(micros, 1_000_000)
    day, second = divmod(seconds, 86_400)
    # table lookups are twice as fast as formatting the clock, which matters at 1M packages (9 stamps each)
    return _day_text(day) + _CLOCK_TEXTS[second] + "%06d" % fraction


_TWO_DIGITS = tuple("%02d" % number for number in range(60))
#: "Thh:mm:ss." for every second of a day, built by concatenation (formatting 86,400 strings is slower)
_CLOCK_TEXTS = tuple(f"T{hh}:{mm}:{ss}." for hh in _TWO_DIGITS[:24] for mm in _TWO_DIGITS for ss in _TWO_DIGITS)


@lru_cache(maxsize=16_384)
def _day_text(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).date().isoformat()


def parse_ckan_time(text: str) -> int:
    """The inverse of format_ckan_time; also accepts a trailing Z and dates without a time."""
    moment = datetime.fromisoformat(text.rstrip("Z"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def uuid5_text(name: str) -> str:
    """str(uuid.uuid5(DEMO_NAMESPACE, name)), about twice as fast."""
    digits = hashlib.sha1(_NAMESPACE_BYTES + name.encode()).hexdigest()
    return f"{digits[:8]}-{digits[8:12]}-5{digits[13:16]}-{_VARIANT[digits[16]]}{digits[17:20]}-{digits[20:32]}"


#: the first hex digit of the clock_seq field with the RFC 4122 variant bits (10xx) set
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def package_id(index: int, seed: int) -> str:
    """The package's UUID: uuid5 of (seed, index) whose node field is replaced by the index, masked.

    Keeping the index recoverable lets package_show resolve an id in O(1) without a table of a million ids.
    """
    if not 0 <= index < MAX_INDEX:
        raise ValueError(f"package index out of range: {index}")
    head = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"package:{seed}:{index}".encode()).digest()[:10])
    head[6] = head[6] & 0x0F | 0x50
    head[8] = head[8] & 0x3F | 0x80
    node = index ^ _node_mask(bytes(head))
    return _uuid_text(head.hex() + f"{node:012x}")


def index_from_package_id(text: str, seed: int) -> int | None:
    """The index whose package has this id, or None when no index has it."""
    digits = text.replace("-", "").lower()
    if len(digits) != 32:
        return None
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        return None
    index = int.from_bytes(raw[10:], "big") ^ _node_mask(raw[:10])
    if index >= MAX_INDEX or package_id(index, seed) != text.lower():
        return None
    return index


def id_sort_key(index: int, seed: int) -> int:
    """The first 64 bits of the package id: ordering by it orders by the id text."""
    return int(package_id(index, seed)[:18].replace("-", ""), 16)


def _node_mask(head: bytes) -> int:
    """48 bits that look random, from the id's first 10 bytes (which do not depend on the node field)."""
    return _splitmix64(int.from_bytes(head[:8], "big") ^ head[8] << 8 ^ head[9]) >> 16


def _uuid_text(digits: str) -> str:
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
