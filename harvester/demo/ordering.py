"""Per-index sort and filter keys of a demo portal, and the live packages in each sort order.

Keys are small (an int or a short string per index) and computed in bulk only when a query first needs them, so a
million-package portal can page in any order without generating the packages; orders are re-sorted after mutations,
which is cheap because the previous order is almost sorted already.
"""

from __future__ import annotations

from typing import Any, Callable

from harvester.demo.identity import id_sort_key, package_name, package_times_us, placement_of

#: which per-index key each sort field orders by
KEY_FUNCTIONS: dict[str, Callable[[int, int], Any]] = {
    "metadata_modified": lambda index, seed: package_times_us(index, seed)[1],
    "name": package_name,
    "id": id_sort_key,
}


class PackageKeys:
    """Lazily computed keys of indexes 0..size-1; the portal tells it about mutations."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._keys: dict[str, list[Any]] = {field: [] for field in KEY_FUNCTIONS}
        self._modified_overrides: dict[int, int] = {}
        self._placements = bytearray()
        self._group_sets: list[tuple[str, ...]] = []
        self._group_codes = bytearray()
        #: field → (mutation version, ascending live indexes, size they were computed for)
        self._orders: dict[str, tuple[int, list[int], int]] = {}

    def set_modified(self, index: int, micros: int) -> None:
        """Record a package's new metadata_modified (edits, additions)."""
        self._modified_overrides[index] = micros
        modified = self._keys["metadata_modified"]
        if index < len(modified):
            modified[index] = micros

    def keys(self, field: str, size: int) -> list[Any]:
        """The sort keys of indexes 0..size-1 for a field of SORT_FIELDS."""
        keys = self._keys[field]
        if len(keys) < size:
            compute, seed = KEY_FUNCTIONS[field], self.seed
            keys.extend(compute(index, seed) for index in range(len(keys), size))
            if field == "metadata_modified":
                for index, micros in self._modified_overrides.items():
                    if index < size:
                        keys[index] = micros
        return keys

    def placements(self, size: int) -> bytearray:
        """Per index, its placement ordinal (see identity.PLACEMENTS)."""
        self._extend_placements(size)
        return self._placements

    def group_codes(self, size: int) -> tuple[bytearray, list[tuple[str, ...]]]:
        """Per index a code of its group names, and the group names of each code."""
        self._extend_placements(size)
        return self._group_codes, self._group_sets

    def _extend_placements(self, size: int) -> None:
        for index in range(len(self._placements), size):
            placement = placement_of(index, self.seed)
            self._placements.append(placement.ordinal)
            if placement.groups not in self._group_sets:
                self._group_sets.append(placement.groups)
            self._group_codes.append(self._group_sets.index(placement.groups))

    def order(self, field: str, size: int, removed: set[int], version: int) -> list[int]:
        """The live indexes in ascending order of field (ties in index order); do not modify the list."""
        cached = self._orders.get(field)
        if cached is not None and cached[0] == version:
            return cached[1]
        if cached is None:
            live = [index for index in range(size) if index not in removed]
        else:
            _, previous, previous_size = cached
            live = [index for index in previous if index not in removed]
            live += [index for index in range(previous_size, size) if index not in removed]
        live.sort(key=self.keys(field, size).__getitem__)
        self._orders[field] = (version, live, size)
        return live
