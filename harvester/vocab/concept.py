"""The value types of the vocabulary layer: a SKOS concept and the table of vocabulary kinds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
SPDX_LICENSES = "https://spdx.org/licenses/"
SPDX_TERMS = "http://spdx.org/rdf/terms#"
DCT = "http://purl.org/dc/terms/"

#: The order labels fall back in when the asked language is missing.
LABEL_FALLBACK = ("zh", "en")


@dataclass(frozen=True)
class Concept:
    """One concept of a controlled vocabulary (an EU authority table, or the SPDX licence list)."""

    iri: str
    code: str  # e.g. "TRAN", "CSV", "ANNUAL", "PUBLIC", "CC_BY_4_0", "ZHO", "MulanPSL-2.0"
    scheme: str  # the skos:ConceptScheme IRI
    labels: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    kind: str = ""  # "theme", "file_type", "frequency", "access_right", "licence", "language" …

    def label(self, lang: str = "zh") -> str:
        """The label in ``lang``, else Chinese, else English, else the code."""
        for candidate in (lang, *LABEL_FALLBACK):
            text = self.labels.get(candidate)
            if text:
                return text
        return self.code


@dataclass(frozen=True)
class KindInfo:
    """Where a vocabulary kind comes from and how DCAT-AP 3 types its values."""

    kind: str
    scheme: str
    #: the DCAT-AP range class its values need besides skos:Concept (None: skos:Concept only)
    range_class: str | None
    title_en: str
    title_zh: str
    #: the file in vocab/eu/ holding the EU table, and the crosswalk in vocab/crosswalk/ (None: none)
    eu_file: str
    crosswalk: str | None


def _kind(kind: str, table: str, range_class: str | None, title_en: str, title_zh: str,
          eu_file: str, crosswalk: str | None) -> KindInfo:
    scheme = EU_AUTHORITY + table
    return KindInfo(kind, scheme, DCT + range_class if range_class else None, title_en, title_zh,
                    eu_file, crosswalk)


KINDS: Mapping[str, KindInfo] = MappingProxyType({info.kind: info for info in (
    _kind("theme", "data-theme", None, "Data theme", "数据主题", "data-theme.ttl", "theme.yaml"),
    _kind("file_type", "file-type", "MediaTypeOrExtent", "File type", "文件类型", "file-type.ttl",
          "file_type.yaml"),
    _kind("frequency", "frequency", "Frequency", "Frequency", "更新频率", "frequency.ttl", "frequency.yaml"),
    _kind("access_right", "access-right", "RightsStatement", "Access right", "开放类型", "access-right.ttl",
          "access_right.yaml"),
    _kind("licence", "licence", "LicenseDocument", "Licence", "许可协议", "licence.ttl", "licence.yaml"),
    _kind("language", "language", "LinguisticSystem", "Language", "语言", "language.ttl", "language.yaml"),
    _kind("availability", "planned-availability", None, "Planned availability", "计划可用性",
          "planned-availability.ttl", None),
    _kind("distribution_status", "distribution-status", None, "Distribution status", "分发状态",
          "distribution-status.ttl", None),
)})

#: SPDX licences are concepts of kind "licence" in this pseudo-scheme (the SPDX list is not SKOS).
SPDX_SCHEME = SPDX_LICENSES
