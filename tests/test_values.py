"""Loose portal values: dates, numbers, lists in one string, and N-Triples text round trips."""

from datetime import date, datetime, timedelta, timezone

import pytest
import rdflib

from harvester.dcat import rdf
from harvester.mapping.paths import compile_path
from harvester.mapping.values import UTC8, BadValue, parse_datetime, parse_nonneg_int, split_values
from harvester.errors import MappingError


@pytest.mark.parametrize("text, expected", [
    ("2023-05-11T02:22:33.123456", datetime(2023, 5, 11, 2, 22, 33, 123456, tzinfo=timezone.utc)),
    ("2023-05-11T02:22:33Z", datetime(2023, 5, 11, 2, 22, 33, tzinfo=timezone.utc)),
    ("2023-05-11 10:22:33", datetime(2023, 5, 11, 10, 22, 33, tzinfo=timezone.utc)),
    ("2021-07-0603:25:19", datetime(2021, 7, 6, 3, 25, 19, tzinfo=timezone.utc)),
    ("2021年7月6日", date(2021, 7, 6)),
    ("2021/7/6 03:25", datetime(2021, 7, 6, 3, 25, tzinfo=timezone.utc)),
    ("20210706", date(2021, 7, 6)),
    ("2021-07-06", date(2021, 7, 6)),
    ("2021-07-06T03:25:19+08:00", datetime(2021, 7, 6, 3, 25, 19, tzinfo=UTC8)),
])
def test_dates_in_the_shapes_portals_send(text: str, expected: object) -> None:
    assert parse_datetime(text) == expected


def test_naive_times_take_the_rules_zone_and_epoch_millis_are_utc() -> None:
    local = parse_datetime("2021-07-06 03:25:19", UTC8)
    assert local.utcoffset() == timedelta(hours=8)
    assert parse_datetime("2021-07-06T03:25:19.5", UTC8) == datetime(2021, 7, 6, 3, 25, 19, 500000, tzinfo=UTC8)
    assert parse_datetime("2021-07-06T03:25:19Z", UTC8).utcoffset() == timedelta(0)  # its own zone wins
    assert parse_datetime(1625513119000, UTC8) == datetime(2021, 7, 5, 19, 25, 19, tzinfo=timezone.utc)


@pytest.mark.parametrize("bad", ["not-a-date", "2021-13-45", "yesterday", "2021-02-30", "2021-02-30T10:00:00",
                                 "2021-02-03T25:00:00Z"])
def test_invalid_dates_raise(bad: str) -> None:
    with pytest.raises(BadValue, match="invalid date"):
        parse_datetime(bad)


def test_numbers_and_lists() -> None:
    assert parse_nonneg_int("1,024") == 1024
    assert parse_nonneg_int(7) == 7
    with pytest.raises(BadValue):
        parse_nonneg_int("-3")
    with pytest.raises(BadValue):
        parse_nonneg_int("abc")
    assert split_values("交通、公交，地铁;PM2.5；空气 ") == ["交通", "公交", "地铁", "PM2.5", "空气"]


def test_paths_skip_placeholders_and_insist_on_lists() -> None:
    payload = {"a": {"b": "暂无"}, "tags": [{"n": "x"}, {"n": "--"}, {"n": "y"}], "bad": "str"}
    assert compile_path("a.b")(payload) == []
    assert compile_path("tags[].n")(payload) == ["x", "y"]
    with pytest.raises(MappingError, match="'bad' should be a list"):
        compile_path("bad[].n")(payload)


def test_ntriples_terms_escape_and_parse_back() -> None:
    nasty = 'line1\n"quoted" \\ <script>alert(1)</script>\x07'
    triples = [
        rdf.Triple(rdf.iri("http://ex.org/a b<c>"), rdf.term("dct:title"), rdf.literal(nasty, "zh")),
        rdf.Triple(rdf.iri("http://ex.org/a"), rdf.term("dcat:byteSize"),
                   rdf.typed("12", rdf.XSD + "nonNegativeInteger")),
    ]
    graph = rdflib.Graph().parse(data=rdf.to_ntriples(triples), format="nt")
    titles = [str(o) for o in graph.objects(None, rdflib.DCTERMS.title)]
    assert titles == [nasty.replace("\x07", "")]
    assert rdflib.URIRef("http://ex.org/a%20b%3Cc%3E") in set(graph.subjects())
    assert rdf.literal_parts(triples[0].o) == (nasty.replace("\x07", ""), "zh", None)
    with pytest.raises(ValueError):
        rdf.iri("relative/path")
    # text that is not "printable" to Python but that N-Triples carries as it is: tab, ideographic space,
    # line and paragraph separators
    for kept in ("a\tb", "济南\u3000市", "a\u2028b\u2029c", "\u00a0"):
        assert rdf.literal(kept, "zh") == f'"{kept}"@zh'


@pytest.mark.parametrize("value, expected", [
    ("http://ok.example/a b", "<http://ok.example/a%20b>"),
    ("http://济南.gov.cn/数据", "<http://济南.gov.cn/数据>"),
    ("http://[::1", None),
    ("http://host:port/x", None),
    ("not a url", None),
    ("", None),
])
def test_untrusted_urls_become_valid_iris_or_nothing(value: str, expected: str | None) -> None:
    assert rdf.safe_iri(value) == expected


def test_several_phone_numbers_in_one_field_become_one_tel_each() -> None:
    from harvester.mapping.emitters import MapContext, RuleOptions, emit_tel

    ctx = MapContext("http://x", "s", "k", "http://x/dataset/s/k")
    tels = emit_tel(["0531-86912345，13812345678", "0531 8691 2345", "12345; 0531-86912345"], RuleOptions("t"), ctx,
                    "<http://x/dataset/s/k#contact>")
    assert tels == ["<tel:0531-86912345>", "<tel:13812345678>", "<tel:053186912345>", "<tel:12345>"]
