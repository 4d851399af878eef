"""The interpreter of the declarative mappings in mappings/*.yaml (see docs/mapping.md for the language)."""

from harvester.mapping.engine import Mapping, load_mapping

__all__ = ["Mapping", "load_mapping"]
