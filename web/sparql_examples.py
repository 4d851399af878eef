"""Example queries of the SPARQL page: each runs on the merged catalog as harvested (tests run every one).

Each is (UI label key, query without PREFIX lines); the page adds the PREFIX declarations a query uses.
"""

from __future__ import annotations

RESTRICTED = "<http://publications.europa.eu/resource/authority/access-right/RESTRICTED>"

EXAMPLES: tuple[tuple[str, str], ...] = (
    ("sparql.example.per_publisher", """SELECT ?publisher (SUM(?n) AS ?datasets) WHERE {
  # count per publisher node first: its name is repeated in every record graph that names it
  { SELECT ?org (COUNT(DISTINCT ?dataset) AS ?n) WHERE { ?dataset a dcat:Dataset ; dct:publisher ?org . }
    GROUP BY ?org }
  { SELECT DISTINCT ?org ?publisher WHERE { ?org foaf:name ?publisher FILTER(!LANGMATCHES(LANG(?publisher), "en")) } }
}
GROUP BY ?publisher
ORDER BY DESC(?datasets)"""),
    ("sparql.example.per_theme", """SELECT ?theme (COUNT(DISTINCT ?dataset) AS ?datasets) WHERE {
  ?dataset a dcat:Dataset ;
           dcat:theme ?theme .
  FILTER(STRSTARTS(STR(?theme), "http://publications.europa.eu/resource/authority/data-theme/"))
}
GROUP BY ?theme
ORDER BY DESC(?datasets)"""),
    ("sparql.example.per_portal", """SELECT ?portal ?title (COUNT(?dataset) AS ?datasets) WHERE {
  ?catalog dcat:catalog ?portal .
  ?portal dct:title ?title ;
          dcat:dataset ?dataset .
}
GROUP BY ?portal ?title
ORDER BY DESC(?datasets)"""),
    ("sparql.example.formats", """SELECT ?format (COUNT(?distribution) AS ?distributions) WHERE {
  ?dataset dcat:distribution ?distribution .
  ?distribution dct:format ?format .
}
GROUP BY ?format
ORDER BY DESC(?distributions)"""),
    ("sparql.example.conditional", f"""SELECT ?dataset ?title ?conditions WHERE {{
  ?dataset dct:accessRights {RESTRICTED} ;
           dct:title ?title ;
           dct:rights/rdfs:label ?conditions .
  FILTER(LANG(?title) = "zh")
}}
LIMIT 50"""),
    ("sparql.example.recent", """SELECT ?dataset ?title ?modified WHERE {
  ?dataset a dcat:Dataset ;
           dct:title ?title ;
           dct:modified ?modified .
  FILTER(LANG(?title) = "zh")
}
ORDER BY DESC(?modified)
LIMIT 20"""),
    ("sparql.example.duplicates", """SELECT ?identifier (COUNT(DISTINCT ?portal) AS ?portals)
       (GROUP_CONCAT(DISTINCT STR(?dataset); separator=" ") AS ?datasets) WHERE {
  ?portal dcat:dataset ?dataset .
  ?dataset dct:identifier ?identifier .
}
GROUP BY ?identifier
HAVING (COUNT(DISTINCT ?portal) > 1)
ORDER BY ?identifier
LIMIT 100"""),
    ("sparql.example.keyword", """SELECT DISTINCT ?dataset ?title ?keyword WHERE {
  ?dataset a dcat:Dataset ;
           dct:title ?title ;
           dcat:keyword ?keyword .
  FILTER(CONTAINS(?keyword, "交通") && LANG(?title) = "zh")
}
LIMIT 100"""),
    ("sparql.example.licences", """SELECT ?licence (COUNT(DISTINCT ?dataset) AS ?datasets) WHERE {
  ?dataset a dcat:Dataset ;
           dct:license ?licence .
}
GROUP BY ?licence
ORDER BY DESC(?datasets)"""),
    ("sparql.example.largest", """SELECT ?dataset ?distribution ?bytes WHERE {
  ?dataset dcat:distribution ?distribution .
  ?distribution dcat:byteSize ?bytes .
}
ORDER BY DESC(?bytes)
LIMIT 20"""),
    ("sparql.example.provenance", """SELECT ?dataset ?original ?harvested WHERE {
  ?record a dcat:CatalogRecord ;
          foaf:primaryTopic ?dataset ;
          dct:source ?original ;
          dct:modified ?harvested .
}
ORDER BY DESC(?harvested)
LIMIT 20"""),
    ("sparql.example.graphs", """SELECT ?graph ?dataset ?harvested WHERE {
  GRAPH ?graph {
    ?record a dcat:CatalogRecord ;
            foaf:primaryTopic ?dataset ;
            dct:conformsTo ?profile ;
            dct:modified ?harvested .
  }
}
ORDER BY DESC(?harvested)
LIMIT 20"""),
    ("sparql.example.contacts", """SELECT ?publisher ?email (COUNT(?dataset) AS ?datasets) WHERE {
  ?dataset dct:publisher/foaf:name ?publisher ;
           dcat:contactPoint/vcard:hasEmail ?email .
}
GROUP BY ?publisher ?email
ORDER BY ?publisher
LIMIT 100"""),
    ("sparql.example.duplicates", """SELECT ?title ?portal ?dataset ?otherPortal ?sameDataset WHERE {
  ?dataset owl:sameAs ?sameDataset ;
           dct:title ?title .
  ?portal dcat:dataset ?dataset .
  ?otherPortal dcat:dataset ?sameDataset .
}
ORDER BY ?title
LIMIT 100"""),
)
