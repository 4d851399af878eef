"""ISO 19115 code lists and INSPIRE vocabularies → the EU authority concepts DCAT-AP 3 uses.

ISO topic categories and INSPIRE spatial data themes have no official alignment with the EU data themes;
the tables below follow the themes' scope notes (a land-use plan is about regions and cities, geology about
the environment). Maintenance frequencies and restriction codes map one to one where a concept exists.
"""

from __future__ import annotations

import re

from harvester import vocab

EU = "http://publications.europa.eu/resource/authority/"
INSPIRE_THEME = re.compile(r"^https?://inspire\.ec\.europa\.eu/theme/([a-z]{2})/?$")
INSPIRE_NO_LIMITATIONS = "LimitationsOnPublicAccess/noLimitations"
INSPIRE_LIMITATIONS = "LimitationsOnPublicAccess/INSPIRE_Directive_Article13"

#: ISO 19115 MD_TopicCategoryCode → EU data theme
TOPIC_CATEGORIES = {
    "farming": "AGRI", "biota": "ENVI", "boundaries": "REGI", "climatologyMeteorologyAtmosphere": "ENVI",
    "economy": "ECON", "elevation": "ENVI", "environment": "ENVI", "geoscientificInformation": "ENVI",
    "health": "HEAL", "imageryBaseMapsEarthCover": "ENVI", "intelligenceMilitary": "GOVE",
    "inlandWaters": "ENVI", "location": "REGI", "oceans": "ENVI", "planningCadastre": "REGI",
    "society": "SOCI", "structure": "REGI", "transportation": "TRAN", "utilitiesCommunication": "ENER",
    "extraTerrestrial": "TECH", "disaster": "ENVI",
}

#: INSPIRE spatial data theme (id, English name) → EU data theme
INSPIRE_THEMES = {
    ("ad", "addresses"): "REGI", ("au", "administrative units"): "REGI", ("cp", "cadastral parcels"): "REGI",
    ("gn", "geographical names"): "REGI", ("hy", "hydrography"): "ENVI", ("ps", "protected sites"): "ENVI",
    ("rs", "coordinate reference systems"): "TECH", ("gg", "geographical grid systems"): "TECH",
    ("tn", "transport networks"): "TRAN", ("el", "elevation"): "ENVI", ("ge", "geology"): "ENVI",
    ("lc", "land cover"): "ENVI", ("oi", "orthoimagery"): "ENVI", ("su", "statistical units"): "REGI",
    ("bu", "buildings"): "REGI", ("so", "soil"): "ENVI", ("lu", "land use"): "REGI",
    ("hh", "human health and safety"): "HEAL", ("us", "utility and governmental services"): "GOVE",
    ("ef", "environmental monitoring facilities"): "ENVI", ("pf", "production and industrial facilities"): "ECON",
    ("af", "agricultural and aquaculture facilities"): "AGRI",
    ("pd", "population distribution — demography"): "SOCI",
    ("am", "area management/restriction/regulation zones and reporting units"): "ENVI",
    ("nz", "natural risk zones"): "ENVI", ("ac", "atmospheric conditions"): "ENVI",
    ("mf", "meteorological geographical features"): "ENVI", ("of", "oceanographic geographical features"): "ENVI",
    ("sr", "sea regions"): "ENVI", ("br", "bio-geographical regions"): "ENVI",
    ("hb", "habitats and biotopes"): "ENVI", ("sd", "species distribution"): "ENVI",
    ("er", "energy resources"): "ENER", ("mr", "mineral resources"): "ECON",
}
_INSPIRE_BY_ID = {theme_id: code for (theme_id, _), code in INSPIRE_THEMES.items()}
_INSPIRE_BY_NAME = {name: code for (_, name), code in INSPIRE_THEMES.items()}

#: ISO 19115 MD_MaintenanceFrequencyCode → EU frequency
FREQUENCIES = {
    "continual": "UPDATE_CONT", "daily": "DAILY", "weekly": "WEEKLY", "fortnightly": "BIWEEKLY",
    "monthly": "MONTHLY", "quarterly": "QUARTERLY", "biannually": "ANNUAL_2", "annually": "ANNUAL",
    "asNeeded": "AS_NEEDED", "irregular": "IRREG", "notPlanned": "NOT_PLANNED", "unknown": "UNKNOWN",
    "semimonthly": "MONTHLY_2", "biennially": "BIENNIAL", "periodic": "OTHER",
}

#: ISO 19115 MD_RestrictionCode / MD_ClassificationCode values that say who may access the data
RESTRICTIONS = {
    "unrestricted": "PUBLIC", "restricted": "RESTRICTED", "limitedDistribution": "RESTRICTED",
    "forOfficialUseOnly": "NON_PUBLIC", "sensitiveButUnclassified": "NON_PUBLIC", "confidential": "NON_PUBLIC",
    "secret": "NON_PUBLIC", "topSecret": "NON_PUBLIC", "private": "NON_PUBLIC", "protected": "RESTRICTED",
}

#: OGC service types named by a CI_OnlineResource protocol (``OGC:WMS``, ``OGC:WFS-1.1.0-http-get-capabilities``)
SERVICE_PROTOCOL = re.compile(r"(?<![A-Z])(WMS|WFS|WCS|WMTS|CSW|SOS|WPS|TMS)(?![A-Z])")
#: EU file types of the services that have one
SERVICE_FILE_TYPES = {"WMS": "WMS_SRVC", "WFS": "WFS_SRVC", "WCS": "WCS_SRVC"}


def eu(kind: str, code: str) -> str:
    """The IRI of an EU authority concept: ``eu("data-theme", "ENVI")``."""
    return f"{EU}{kind}/{code}"


def topic_theme(category: str) -> str | None:
    found = TOPIC_CATEGORIES.get(category.strip())
    return eu("data-theme", found) if found else None


def inspire_theme(label: str, link: str | None) -> str | None:
    """The EU data theme of an INSPIRE theme keyword, by its anchor (``…/theme/lu``) or English name."""
    match = INSPIRE_THEME.match(link or "")
    found = _INSPIRE_BY_ID.get(match.group(1)) if match else _INSPIRE_BY_NAME.get(label.strip().lower())
    return eu("data-theme", found) if found else None


def keyword_theme(label: str, link: str | None) -> str | None:
    """The EU data theme a keyword names: an INSPIRE theme, an EU data-theme IRI, or a theme's label."""
    found = inspire_theme(label, link)
    if found:
        return found
    for candidate in (link, label):
        concept = vocab.theme(candidate) if candidate else None
        if concept is not None:
            return concept.iri
    return None


def frequency(value: str | None) -> str | None:
    code = FREQUENCIES.get((value or "").strip())
    if code:
        return eu("frequency", code)
    concept = vocab.frequency(value) if value else None
    return concept.iri if concept else None


def access_right(codes: list[str], constraints: list[tuple[str, str | None]]) -> str | None:
    """The EU access right said by restriction codes, or by other constraints (INSPIRE's limitations on
    public access by their anchors, or words the vocabulary knows: "无条件开放", "public")."""
    for text, link in constraints:
        if link and INSPIRE_NO_LIMITATIONS in link:
            return eu("access-right", "PUBLIC")
        if link and INSPIRE_LIMITATIONS in link:
            return eu("access-right", "RESTRICTED")
        concept = vocab.access_right(text) if len(text) < 40 else None
        if concept is not None:
            return concept.iri
    for value in codes:
        if value in RESTRICTIONS:
            return eu("access-right", RESTRICTIONS[value])
    return None


def service_type(protocol: str | None) -> str | None:
    """The OGC service type a protocol names (``OGC:WMS-1.3.0-http-get-map`` → ``WMS``)."""
    match = SERVICE_PROTOCOL.search((protocol or "").upper())
    return match.group(1) if match else None
