"""Personal data in harvested metadata (harvester.trust.privacy): what is found, what is kept, how it is redacted."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from harvester.dcat.rdf import XSD, literal, literal_parts, term, to_ntriples, typed
from harvester.demo.generator import generate_package
from harvester.trust.privacy import (
    DEFAULT_PLACEHOLDER,
    Finding,
    PrivacyRulesError,
    load_rules,
    mask_middle,
    redact_record,
    valid_id_card,
)
from tests.mapping_helpers import map_package

DATASET = "<https://catalog.example/dataset/demo/k>"
CONTACT = "<https://catalog.example/dataset/demo/k/contact>"
DESCRIPTION, TITLE, IDENTIFIER = term("dct:description"), term("dct:title"), term("dct:identifier")
EMAIL, TEL, FN = term("vcard:hasEmail"), term("vcard:hasTelephone"), term("vcard:fn")
HIDDEN = DEFAULT_PLACEHOLDER


# --- independent reference implementations (not the module's code) --------------------------------------

def id_check(body17: str) -> str:
    """GB 11643-1999 check character, from the standard's published weight table."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights)) % 11]


def make_id(area: str = "370102", born: str = "19900307", seq: str = "123") -> str:
    body = area + born + seq
    return body + id_check(body)


def bad_check(id18: str) -> str:
    """The same number with a wrong check character."""
    return id18[:17] + ("0" if id18[17] != "0" else "1")


CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z


def credit_code(body17: str) -> str:
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(body17, weights))
    return body17 + CREDIT_CHARS[(31 - total % 31) % 31]


def id_that_is_also_a_credit_code() -> str:
    """An 18-digit number valid under both checksums (about one ID in 31 is)."""
    for seq in range(1000):
        number = make_id("110101", "19850612", f"{seq:03d}")
        if credit_code(number[:17]) == number:
            return number
    raise AssertionError("no collision found")


def redact(*triples: tuple[str, str, str]) -> tuple[list[tuple[str, str, str]], list[Finding]]:
    return redact_record(list(triples))


def text_of(triples: list[tuple[str, str, str]], predicate: str) -> str:
    return next(literal_parts(o)[0] for _, p, o in triples if p == predicate)


def test_reference_checksums_agree_with_known_numbers() -> None:
    assert id_check("11010519491231002") == "X"  # the standard's own example, 11010519491231002X
    assert valid_id_card("11010519491231002X") and valid_id_card("11010519491231002x")
    assert credit_code("91350100M000100Y4") == "91350100M000100Y43"  # a published example


# --- ID card numbers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("number", [make_id(), "11010519491231002X", make_id("440305", "20080229", "007"),
                                    make_id("370112", "19000101", "000")])
def test_valid_id_card_is_redacted_and_flagged(number: str) -> None:
    out, findings = redact((DATASET, DESCRIPTION, literal(f"申请人身份证号：{number}。", "zh")))
    assert text_of(out, DESCRIPTION) == f"申请人身份证号：{HIDDEN}。"
    assert findings == [Finding("id_card", "dct:description", DATASET[1:-1],
                                number[:4] + "*" * 12 + number[-2:].upper())]


@pytest.mark.parametrize("text", [
    f"身份证号{bad_check(make_id())}",  # wrong check character
    f"身份证号{bad_check('11010519491231002X')}",
    f"订单号{make_id()}12",  # a valid ID inside a 20-digit run
    f"编号98{make_id()}",
    f"流水号A{make_id()}",  # glued to letters: a token, not an ID
    f"统一社会信用代码：{credit_code('91370100MA3C4L8Q1')}",  # letters inside
    f"统一社会信用代码{credit_code('91370100163000000')}",  # all digits, but 91 is no province
    "生效日期20210101，登记号202101010001",
    f"出生于未来{make_id(born='20990101')}",
    f"月份不对{make_id(born='19901301')}",
    f"1899年{make_id(born='18991231')}",
    f"二月三十日{make_id(born='19900230')}",
    "15位旧号码370102900307123",  # 15-digit old IDs are not read
])
def test_numbers_that_are_not_id_cards_are_kept(text: str) -> None:
    triples = [(DATASET, DESCRIPTION, literal(text, "zh"))]
    out, findings = redact_record(triples)
    assert out is triples and findings == []


def test_a_number_labelled_as_credit_code_is_kept_even_when_it_passes_as_an_id() -> None:
    number = id_that_is_also_a_credit_code()
    kept = [(DATASET, DESCRIPTION, literal(f"统一社会信用代码：{number}", "zh"))]
    assert redact_record(kept) == (kept, [])
    _, findings = redact((DATASET, DESCRIPTION, literal(f"身份证：{number}", "zh")))
    assert [f.kind for f in findings] == ["id_card"]


# --- mobile numbers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678",
                                     "+86-138-1234-5678", "+8613812345678", "0086 13812345678", "8613812345678",
                                     "(+86)13812345678", "１３８１２３４５６７８", "＋８６ １３８－１２３４－５６７８"])
def test_mobile_numbers_are_redacted(written: str) -> None:
    out, findings = redact((DATASET, DESCRIPTION, literal(f"咨询请拨打{written}（工作日）", "zh")))
    assert text_of(out, DESCRIPTION).replace("(", "").replace(")", "") in (
        f"咨询请拨打{HIDDEN}（工作日）", f"咨询请拨打+86{HIDDEN}（工作日）")
    assert [(f.kind, f.excerpt) for f in findings] == [("mobile", "138****5678")]


@pytest.mark.parametrize("text", ["电话0531-86912345", "服务热线12345", "客服400-123-4567", "0531-12345678",
                                  "传真(0531)86912345", "订单号213812345678", "单号13812345678901",
                                  "编号A13812345678", "人口12345678人", "11012345678", "时间戳1638316800000"])
def test_landlines_hotlines_and_longer_numbers_are_kept(text: str) -> None:
    triples = [(DATASET, DESCRIPTION, literal(text, "zh"))]
    assert redact_record(triples) == (triples, [])


# --- e-mail -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("address, excerpt", [
    ("zhangsan@163.com", "z***@163.com"), ("ZhangSan@QQ.COM", "Z***@qq.com"), ("li.si@vip.163.com", "l***@vip.163.com"),
    ("wang_wu@gmail.com", "w***@gmail.com"), ("ab@sina.cn", "***@sina.cn"), ("13812345678@139.com", None),
])
def test_personal_email_is_redacted(address: str, excerpt: str | None) -> None:
    out, findings = redact((DATASET, DESCRIPTION, literal(f"如有疑问请发邮件至{address}。", "zh")))
    assert text_of(out, DESCRIPTION) == f"如有疑问请发邮件至{HIDDEN}。"
    if excerpt:  # a mobile number as the local part is found twice: as a mobile and as the address
        assert [(f.kind, f.excerpt) for f in findings] == [("email", excerpt)]
    else:
        assert sorted(f.kind for f in findings) == ["email", "mobile"]


@pytest.mark.parametrize("address", ["bgs@jinan.gov.cn", "sjzx@JNSTJ.JINAN.GOV.CN", "xinxi@gov.cn",
                                     "office@sdu.edu.cn", "data@example.com", "qq.com@jinan.gov.cn",
                                     "user@notqq.com", "user@qq.com.evil.example"])
def test_official_and_other_addresses_are_kept(address: str) -> None:
    triples = [(DATASET, DESCRIPTION, literal(f"联系邮箱：{address}", "zh")), (CONTACT, EMAIL, f"<mailto:{address}>")]
    assert redact_record(triples) == (triples, [])


# --- records ------------------------------------------------------------------------------------------

def test_chinese_text_without_spaces() -> None:
    number = make_id()
    out, findings = redact((DATASET, DESCRIPTION, literal(f"联系人张三，电话13812345678，身份证{number}", "zh")))
    assert text_of(out, DESCRIPTION) == f"联系人张三，电话{HIDDEN}，身份证{HIDDEN}"
    assert sorted((f.kind, f.excerpt) for f in findings) == [("id_card", "3701************" + number[-2:]),
                                                             ("mobile", "138****5678")]


def test_a_number_right_after_an_escaped_line_break_is_found() -> None:
    out, findings = redact((DATASET, DESCRIPTION, literal("联系方式：\n13812345678\n" + make_id(), "zh")))
    assert text_of(out, DESCRIPTION) == f"联系方式：\n{HIDDEN}\n{HIDDEN}"
    assert [f.kind for f in findings] == ["id_card", "mobile"]


def test_a_label_far_before_the_number_does_not_excuse_it() -> None:
    _, findings = redact((DATASET, DESCRIPTION, literal(f"统一社会信用代码见附件；申请人王五的身份证号码为{make_id()}", "zh")))
    assert [f.kind for f in findings] == ["id_card"]


def test_contact_point() -> None:
    triples = [(DATASET, term("dcat:contactPoint"), CONTACT), (CONTACT, FN, literal("张三")),
               (CONTACT, EMAIL, "<mailto:zhangsan@163.com>"), (CONTACT, EMAIL, "<mailto:bgs@jinan.gov.cn>"),
               (CONTACT, TEL, "<tel:+86-138-1234-5678>"), (CONTACT, TEL, "<tel:0531-86912345>"),
               (CONTACT, TEL, literal("13912345678")), (CONTACT, EMAIL, "<MAILTO:Li%2ESi@QQ.com?subject=data>")]
    out, findings = redact_record(triples)
    assert out == [(DATASET, term("dcat:contactPoint"), CONTACT), (CONTACT, FN, literal("张三")),
                   (CONTACT, EMAIL, "<mailto:bgs@jinan.gov.cn>"), (CONTACT, TEL, "<tel:0531-86912345>"),
                   (CONTACT, TEL, literal(HIDDEN))]
    assert [(f.kind, f.field, f.subject, f.excerpt) for f in findings] == [
        ("email", "vcard:hasEmail", CONTACT[1:-1], "z***@163.com"),
        ("mobile", "vcard:hasTelephone", CONTACT[1:-1], "138****5678"),
        ("mobile", "vcard:hasTelephone", CONTACT[1:-1], "139****5678"),
        ("email", "vcard:hasEmail", CONTACT[1:-1], "L***@qq.com")]
    assert findings[0].as_flag() == ("email", "vcard:hasEmail", "z***@163.com")


def test_findings_never_hold_the_whole_value() -> None:
    values = [make_id(), "11010519491231002X", "13812345678", "+86 139-1234-5678", "zhangsan@163.com", "ab@qq.com"]
    triples = [(DATASET, DESCRIPTION, literal(v)) for v in values]
    _, findings = redact_record(triples)
    assert len(findings) == len(values)
    for value, finding in zip(values, findings):
        digits = "".join(c for c in value if c.isalnum())
        assert value not in finding.excerpt and digits not in finding.excerpt.replace("@", "").replace(".", "")
        assert "*" in finding.excerpt


def test_full_width_forms_are_read() -> None:
    number = make_id().translate({code: code + 0xFEE0 for code in range(0x30, 0x3A)})
    out, findings = redact((DATASET, DESCRIPTION, literal(f"身份证{number}，邮箱ｚｈａｎｇ＠１６３．ｃｏｍ", "zh")))
    assert text_of(out, DESCRIPTION) == f"身份证{HIDDEN}，邮箱{HIDDEN}"
    assert [(f.kind, f.excerpt) for f in findings] == [("id_card", "3701************" + make_id()[-2:]),
                                                       ("email", "z***@163.com")]


def test_redacted_literals_stay_valid_ntriples_with_tags_datatypes_and_escapes() -> None:
    html = "http://www.w3.org/1999/02/22-rdf-syntax-ns#HTML"
    triples = [(DATASET, DESCRIPTION, literal('他说："电话 13812345678"\n换行 \\ 反斜杠\t制表', "zh-Hans")),
               (DATASET, TITLE, typed("<p>邮箱 zhang@163.com</p>", html)),
               (DATASET, IDENTIFIER, typed(make_id(), XSD + "string")),
               (DATASET, term("dcat:keyword"), literal("无个人信息", "zh")),
               (CONTACT, EMAIL, typed("mailto:zhang@163.com", XSD + "anyURI"))]
    out, findings = redact_record(triples)
    assert len(findings) == 4
    parsed = {q.predicate.value: q.object for q in ox.parse(to_ntriples(out), format=ox.RdfFormat.N_TRIPLES)}
    description = parsed[DESCRIPTION[1:-1]]
    assert description.value == f'他说："电话 {HIDDEN}"\n换行 \\ 反斜杠\t制表' and description.language == "zh-hans"
    assert parsed[TITLE[1:-1]].value == f"<p>邮箱 {HIDDEN}</p>" and parsed[TITLE[1:-1]].datatype.value == html
    assert parsed[IDENTIFIER[1:-1]].value == HIDDEN
    assert out[3] is triples[3]
    assert parsed[EMAIL[1:-1]].value == f"mailto:{HIDDEN}"


def test_record_with_nothing_personal_comes_back_untouched() -> None:
    triples = [(DATASET, TITLE, literal("济南市公交线路", "zh")),
               (DATASET, DESCRIPTION, literal("2021年共13812345条记录，联系0531-86912345或bgs@jinan.gov.cn", "zh")),
               (DATASET, term("dcat:byteSize"), typed("13812345678", XSD + "nonNegativeInteger")),
               (DATASET, term("dct:issued"), typed("2021-01-01", XSD + "date")),
               (DATASET, term("dcat:landingPage"), "<http://jnjt.jinan.gov.cn/data/13812345678>"),
               (DATASET, IDENTIFIER, literal("sha256:" + "1" * 64))]
    out, findings = redact_record(triples)
    assert out is triples and findings == []


def test_mapped_demo_records_have_nothing_personal() -> None:
    """The demo portal's contacts are department mailboxes and office lines: kept."""
    for index in range(20):
        triples = map_package(generate_package(index), key=f"k{index}")
        out, findings = redact_record(triples)
        assert out is triples and findings == []


def test_mapped_package_with_leaked_contact() -> None:
    package = generate_package(3)
    package["maintainer_email"] = "jiang.yan@126.com"
    package["notes_translated"]["zh"] += "联系人蒋艳，手机 139 1234 5678。"
    package["extras"] = [e for e in package["extras"] if e["key"] != "联系电话"]
    package["extras"].append({"key": "联系电话", "value": "13912345678"})
    out, findings = redact_record(map_package(package))
    assert sorted((f.kind, f.field) for f in findings) == [
        ("email", "vcard:hasEmail"), ("mobile", "dct:description"), ("mobile", "vcard:hasTelephone")]
    written = to_ntriples(out)
    assert "126.com" not in written and "5678" not in written and HIDDEN in written
    ox.parse(written, format=ox.RdfFormat.N_TRIPLES)  # still valid


# --- the rules file -----------------------------------------------------------------------------------

def test_default_rules() -> None:
    rules = load_rules()
    assert load_rules() is rules
    assert rules.kinds == ("id_card", "mobile", "email") and rules.placeholder == HIDDEN
    assert rules.iri_schemes == {"mailto", "tel"}


def test_mask_keeps_at_least_a_third_hidden() -> None:
    assert mask_middle("13812345678", 3, 4) == "138****5678"
    assert mask_middle("1234", 4, 4) == "12**"
    assert mask_middle("12", 1, 1) == "1*"


CUSTOM = r"""
placeholder: "[REDACTED]"
rules:
  bank_card:
    pattern: '(?<![\dA-Za-z])(?P<value>[3-6]\d{15,18})(?![\dA-Za-z])'
    trigger: '\d{16}'
    check: luhn
    mask: {keep_start: 4, keep_end: 4}
  mobile:
    pattern: '(?<!\d)1[3-9]\d{9}(?!\d)'
    predicates: [dct:description, "http://www.w3.org/2006/vcard/ns#hasTelephone"]
    iri_schemes: [tel]
  email:
    pattern: '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}'
    iri_schemes: [mailto]
    check: personal_email
    official_domains: [gov.cn]
    unknown_domains: redact
    mask: email
"""


def test_a_custom_rules_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(CUSTOM, encoding="utf-8")
    rules = load_rules(path)
    assert rules.kinds == ("bank_card", "mobile", "email")
    card, not_luhn = "6222021234567890128", "6222021234567890123"
    triples = [(DATASET, DESCRIPTION, literal(f"卡号{card}，另{not_luhn}，手机13812345678", "zh")),
               (DATASET, TITLE, literal("手机13812345678", "zh")),  # mobile rule limited to two predicates
               (CONTACT, EMAIL, "<mailto:info@company.example>"), (CONTACT, EMAIL, "<mailto:bgs@jinan.gov.cn>")]
    out, findings = redact_record(triples, rules)
    assert text_of(out, DESCRIPTION) == f"卡号[REDACTED]，另{not_luhn}，手机[REDACTED]"
    assert out[1] is triples[1] and out[2:] == [(CONTACT, EMAIL, "<mailto:bgs@jinan.gov.cn>")]
    assert [(f.kind, f.excerpt) for f in findings] == [("bank_card", "6222***********0128"),
                                                       ("mobile", "*" * 11), ("email", "i***@company.example")]  # no mask: all hidden


@pytest.mark.parametrize("text, where", [
    ("rules: [1, 2", "cannot read privacy rules"),
    ("placeholder: x", "non-empty 'rules'"),
    ("rules: {}\nextra: 1", "non-empty 'rules'"),
    ("rules: {a: {pattern: x}}\nextra: 1", "unknown key 'extra'"),
    ("rules: {a: {pattern: x}}\nplaceholder: [1]", "placeholder"),
    ("rules: {a: x}", "rules.a: expected a mapping"),
    ("rules: {a: {check: luhn}}", "rules.a.pattern: expected a regular expression"),
    ("rules: {a: {pattern: '(unclosed'}}", "rules.a.pattern: not a valid regular expression"),
    ("rules: {a: {pattern: x, trigger: '[z'}}", "rules.a.trigger: not a valid"),
    ("rules: {a: {pattern: x, check: crc32}}", "rules.a.check: unknown check 'crc32'"),
    ("rules: {a: {pattern: x, paterns: y}}", "rules.a: unknown key 'paterns'"),
    ("rules: {a: {pattern: x, personal_domains: [qq.com]}}", "rules.a: unknown key 'personal_domains'"),
    ("rules: {a: {pattern: x, mask: {keep: 2}}}", "rules.a.mask"),
    ("rules: {a: {pattern: x, predicates: dct:title}}", "rules.a.predicates: expected a list"),
    ("rules: {a: {pattern: x, predicates: ['not an iri']}}", "rules.a.predicates"),
    ("rules: {a: {pattern: x, iri_schemes: mailto}}", "rules.a.iri_schemes"),
    ("rules: {a: {pattern: x, not_after: {words: [x], within: 0}}}", "rules.a.not_after.within"),
    ("rules: {a: {pattern: x, check: personal_email, personal_domains: qq.com}}", "rules.a.personal_domains"),
    ("rules: {a: {pattern: x, check: personal_email, unknown_domains: maybe}}", "rules.a.unknown_domains"),
])
def test_a_broken_rules_file_names_the_file_and_key(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PrivacyRulesError) as caught:
        load_rules(path)
    assert str(path) in str(caught.value) and where in str(caught.value)


def test_a_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(PrivacyRulesError, match="cannot read privacy rules .*absent.yaml"):
        load_rules(tmp_path / "absent.yaml")
