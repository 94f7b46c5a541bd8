"""crawler.decode: bytes -> text, and the binary sniff."""

from __future__ import annotations

import codecs
import random

import pytest

from crawler.decode import decode_html, looks_binary

FOOTER = (
    "主办：湘潭市人民政府办公室 网站标识码：4303000006 湘ICP备05009375号 "
    "湘公网安备 43110302000125号"
)
# Needs GB18030: 䶮 (U+4DAE) is not in GBK, and pages declared gb2312/gbk do contain such names.
RARE = "龑䶮"


def _page(charset_meta: str = "", body: str = FOOTER) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}">'
    head = meta if charset_meta else ""
    return f"<html><head>{head}<title>政务动态</title></head><body><p>{body}</p></body></html>"


def test_gbk_declared_in_meta_gb2312_decodes_as_gb18030() -> None:
    body = _page("gb2312", FOOTER + RARE).encode("gb18030")
    text, encoding = decode_html(body)
    assert encoding == "gb18030"
    assert FOOTER + RARE in text


def test_gbk_declared_only_in_http_header() -> None:
    body = _page(body=FOOTER * 3).encode("gbk")
    text, encoding = decode_html(body, "GBK")
    assert encoding == "gb18030"
    assert FOOTER in text


def test_http_header_wins_over_meta() -> None:
    body = _page("utf-8").encode("gbk")  # the meta lies, the server is right
    text, encoding = decode_html(body, "gb2312")
    assert encoding == "gb18030"
    assert FOOTER in text


def test_meta_wins_over_a_default_latin1_header() -> None:
    # Apache's old default "ISO-8859-1" is not knowledge; the page's own meta is.
    body = _page("gbk").encode("gbk")
    text, encoding = decode_html(body, "ISO-8859-1")
    assert encoding == "gb18030"
    assert FOOTER in text


def test_utf8_without_any_declaration() -> None:
    text, encoding = decode_html(_page().encode("utf-8"))
    assert encoding == "utf-8"
    assert FOOTER in text


def test_undeclared_gbk_is_detected() -> None:
    paragraph = "为进一步做好政府网站信息公开工作，切实保障人民群众的知情权、参与权和监督权。"
    body = _page(body=paragraph * 20 + FOOTER).encode("gbk")
    text, encoding = decode_html(body)
    assert encoding in ("gb18030", "gbk", "gb2312")
    assert FOOTER in text


@pytest.mark.parametrize(
    ("codec", "bom"),
    [
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-32-le", codecs.BOM_UTF32_LE),
    ],
)
def test_bom_wins_over_everything(codec: str, bom: bytes) -> None:
    body = bom + _page("gb2312").encode(codec)
    text, encoding = decode_html(body, "gbk")
    assert encoding == codec
    assert text.startswith("<html>")  # BOM stripped
    assert FOOTER in text


def test_meta_that_claims_utf16_on_ascii_compatible_bytes_means_utf8() -> None:
    text, encoding = decode_html(_page("utf-16").encode("utf-8"))
    assert encoding == "utf-8"
    assert FOOTER in text


def test_wrong_declared_encoding_is_not_trusted_blindly() -> None:
    # Declared UTF-8 but GBK bytes throughout: falls through to the meta (gbk).
    body = _page("gbk", FOOTER * 5).encode("gbk")
    text, encoding = decode_html(body, "utf-8")
    assert encoding == "gb18030"
    assert FOOTER in text


def test_a_few_bad_bytes_keep_the_declared_encoding() -> None:
    body = _page(body=FOOTER * 50).encode("utf-8") + b"\xff\xfe\xfa"
    text, encoding = decode_html(body, "utf-8")
    assert encoding == "utf-8"
    assert FOOTER in text


def test_truncated_utf8_tail_is_still_utf8() -> None:
    body = _page().encode("utf-8") + "中".encode()[:2]
    text, encoding = decode_html(body)
    assert encoding == "utf-8"
    assert FOOTER in text


def test_unknown_labels_are_ignored() -> None:
    text, encoding = decode_html(_page("x-no-such-charset").encode("utf-8"), "bogus")
    assert encoding == "utf-8"
    assert FOOTER in text


@pytest.mark.parametrize("seed", range(20))
def test_never_raises_on_random_bytes(seed: int) -> None:
    rng = random.Random(seed)
    body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5000)))
    declared = rng.choice([None, "utf-8", "gbk", "utf-16", "nonsense", ""])
    text, encoding = decode_html(body, declared)
    assert isinstance(text, str)
    assert codecs.lookup(encoding)


def test_empty_body() -> None:
    assert decode_html(b"") == ("", "utf-8")


@pytest.mark.parametrize(
    "body",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 64,
        bytes(range(32)) * 40,
        b"<html>" + b"\x00\x01\x02\x03" * 100,
    ],
)
def test_binary_bodies_look_binary(body: bytes) -> None:
    assert looks_binary(body)


@pytest.mark.parametrize(
    "body",
    [
        _page().encode("utf-8"),
        _page("gbk").encode("gbk"),
        codecs.BOM_UTF16_LE + _page().encode("utf-16-le"),
        _page().encode("utf-16-le"),  # no BOM, still text
        b"",
        b"   \r\n\t<p>plain</p>",
    ],
)
def test_text_bodies_do_not_look_binary(body: bytes) -> None:
    assert not looks_binary(body)
