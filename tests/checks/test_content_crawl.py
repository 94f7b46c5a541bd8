"""The text checks end to end: a real crawl (the `govwatch` CLI, Scrapy, a loopback server)
of a small site whose pages plant each code, its attachments in each format read (PDF, DOCX,
XLSX, RTF .doc, binary Word 97-2003 .doc, SpreadsheetML .xls; one over the reading cap), and
seed 001 served as the site's declared 繁体 version (no content.traditional-chars) and as an
ordinary article."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import docx
import openpyxl
from sqlalchemy import select

from govwatch.demo import assets
from store import models as m
from store.session import make_engine, session_factory
from tests.conftest import init_and_import
from tests.crawler.realpages import SEEDS, shared_file
from tests.crawler.test_attachments import rewritten

SEED_001 = SEEDS / "001_d42a7317affeaaf8.txt"
HOST = "www.texts.gov.cn"
AS_OF = "2026-11-21T12:00:00+08:00"
CODES = ("content.serious-errors", "content.typos", "content.banned-words",
         "content.privacy-leak", "content.traditional-chars")


def _page(title: str, body: str, extra: str = "") -> bytes:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><div class='top'>{extra}</div><h1>{title}</h1>{body}"
            "<div class='footer'>主办单位：测试市人民政府</div></body></html>").encode()


def _write_site(root: Path, seed: bytes) -> None:
    www = root / "www"
    (www / "big5").mkdir(parents=True)
    (www / "zwdt").mkdir()
    (www / "index.html").write_bytes(_page("测试市人民政府", (
        "<ul><li><a href='/zwdt/1.html'>要闻一</a></li><li><a href='/zwdt/2.html'>公示</a></li>"
        "<li><a href='/zwdt/3.html'>转载</a></li><li><a href='/zwdt/4.html'>学习</a></li></ul>"
    ), extra="<a href='/big5/index.html'>繁體</a> <a href='/en/'>English</a>"))
    (www / "zwdt" / "1.html").write_bytes(_page("要闻一", (
        "<p>会议强调，要坚持中国特色社会注意道路。截止目前，已完成全年任务。</p>"
        "<p>外交部发言人就北朝鲜问题答记者问。</p>")))
    (www / "zwdt" / "2.html").write_bytes(_page("补贴公示", (
        "<table><tr><td>张三</td><td>431102198506121017</td><td>13812345678</td></tr>"
        "<tr><td>李四</td><td>11010519491231002X</td><td>13912345670</td></tr>"
        "<tr><td>王五</td><td>430***********1234</td><td>137****5678</td></tr></table>"
        "<p>联系电话：13800001111</p>")))
    (www / "zwdt" / "3.html").write_bytes(seed)
    (www / "zwdt" / "4.html").write_bytes(_page("学习", (
        "<p>认真学习《永州市政府網站建設管理辦法》，“網站”一词引自原文。</p>"
        "<p>申报截止日期为12月1日，关爱残疾人。</p>")))
    (www / "big5" / "index.html").write_bytes(seed)
    # Attachments of page 4: each format read, a masked list, and one over the reading cap.
    files = www / "files"
    files.mkdir()
    (files / "a.pdf").write_bytes(assets.pdf(["Applicant ID 431124199003030028"]))
    document = docx.Document()
    document.add_paragraph("补助对象名单")
    table = document.add_table(rows=2, cols=2)
    for row, (name, number) in enumerate((("张三", "431124197809151524"),
                                          ("李四", "11010519491231002X"))):
        table.cell(row, 0).text, table.cell(row, 1).text = name, number
    document.save(files / "b.docx")
    book = openpyxl.Workbook()
    book.active.append(["王五", "手机", 13712345671])
    book.save(files / "c.xlsx")
    (files / "d.doc").write_bytes(assets.doc("名单", ["赵六 身份证号 431124199003030028"]))
    (files / "e.xls").write_bytes(assets.xls("名单", ["姓名", "身份证号"],
                                             [["张三", "430***********1234"]]))
    (files / "f.pdf").write_bytes(assets.pdf(["ID 431124199003030028"] + ["x" * 60] * 1500))
    # A binary Word 97-2003 document (a real one, its text rewritten: test_attachments.py).
    (files / "g.doc").write_bytes(rewritten(root, "补助名单\r孙七\x07431124199003030028\x07\r"))
    links = "".join(f"<a href='/files/{name}'>附件{name}</a> "
                    for name in ("a.pdf", "b.docx", "c.xlsx", "d.doc", "e.xls", "f.pdf",
                                 "g.doc"))
    page = (www / "zwdt" / "4.html").read_bytes().replace(b"</h1>", b"</h1>" + links.encode())
    (www / "zwdt" / "4.html").write_bytes(page)


class _Quiet(SimpleHTTPRequestHandler):
    def translate_path(self, path: str) -> str:
        # The crawler asks in HTTP proxy form (GET http://host/path): serve the path.
        return super().translate_path(urlsplit(path).path or "/")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_text_checks_on_a_crawled_site(tmp_path: Path) -> None:
    _write_site(tmp_path, shared_file(SEED_001).read_bytes())
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 partial(_Quiet, directory=str(tmp_path / "www")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        (tmp_path / "sites.yaml").write_text(
            f"sites:\n  - id: texts\n    name: 测试市人民政府\n    url: http://{HOST}/\n"
            "    level: county\n    crawl: {delay: 0, concurrency: 4}\n", encoding="utf-8")
        (tmp_path / "settings.toml").write_text(
            f'[crawler]\nattachment_max_bytes = 60000\n'
            f'[crawler.connect_to]\n"{HOST}" = "127.0.0.1:{server.server_address[1]}"\n',
            encoding="utf-8")
        env = dict(os.environ, GOVWATCH_SETTINGS=str(tmp_path / "settings.toml"),
                   GOVWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'gw.db'}")

        def gw(*args: str) -> str:
            proc = subprocess.run([sys.executable, "-m", "govwatch.cli", *args], env=env,
                                  capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, proc.stderr
            return proc.stdout

        init_and_import(env["GOVWATCH_DATABASE_URL"], tmp_path / "sites.yaml")
        gw("crawl", "--quiet", "--as-of", AS_OF)
        rows = [json.loads(line) for line in gw("findings", "--format", "json").splitlines()]
        engine = make_engine(env["GOVWATCH_DATABASE_URL"])
        with session_factory(engine)() as session:
            read = {row.url.rsplit("/", 1)[-1]: (row.format, row.error)
                    for row in session.scalars(select(m.AttachmentText))}
            verdicts = {row.url.rsplit("/", 1)[-1]: (row.method, row.status, row.error_kind)
                        for row in session.scalars(select(m.LinkResult))
                        if "/files/" in row.url}
        engine.dispose()
    finally:
        server.shutdown()
        server.server_close()
    got = {(r["check"], r["url"].removeprefix(f"http://{HOST}")): r for r in rows
           if r["check"] in CODES}
    assert set(got) == {
        ("content.serious-errors", "/zwdt/1.html"),
        ("content.typos", "/zwdt/1.html"),
        ("content.banned-words", "/zwdt/1.html"),
        ("content.privacy-leak", "/zwdt/2.html"),
        # Seed 001 as an ordinary article of a simplified site; as /big5/ (the 繁體 link's
        # target) it is the site's declared 繁体 version and raises nothing.
        ("content.traditional-chars", "/zwdt/3.html"),
        # Attachments, found on the page that links them.
        ("content.privacy-leak", "/files/a.pdf"),
        ("content.privacy-leak", "/files/b.docx"),
        ("content.privacy-leak", "/files/c.xlsx"),
        ("content.privacy-leak", "/files/d.doc"),
        ("content.privacy-leak", "/files/g.doc"),
    }, sorted(got)
    assert {name: fmt for name, (fmt, _) in read.items()} == {
        "a.pdf": "pdf", "b.docx": "docx", "c.xlsx": "xlsx", "d.doc": "rtf", "e.xls": "xml-xls",
        "g.doc": "doc"}
    # Read with the GET that verified them; the one over the cap verified by HEAD, alive.
    assert verdicts == {**{name: ("GET", 200, None) for name in read},
                        "f.pdf": ("HEAD", 200, None)}
    docx_leak = got[("content.privacy-leak", "/files/b.docx")]
    assert docx_leak["page"] == f"http://{HOST}/zwdt/4.html"
    assert [n["masked"] for n in docx_leak["evidence"]["numbers"]] == [
        "431***********1524", "110***********002X"]
    assert docx_leak["evidence"]["attachment_format"] == "docx"
    leak = got[("content.privacy-leak", "/zwdt/2.html")]
    assert leak["severity"] == "veto"
    masked = [n["masked"] for n in leak["evidence"]["numbers"]]
    assert masked == ["431***********1017", "138****5678", "110***********002X", "139****5670"]
    assert leak["evidence"]["roster"] is True
    assert "431102198506121017" not in json.dumps(rows, ensure_ascii=False)
    serious = got[("content.serious-errors", "/zwdt/1.html")]
    assert serious["evidence"]["hits"][0] == {
        "wrong": "中国特色社会注意", "right": "中国特色社会主义",
        "sentence": "会议强调，要坚持中国特色社会注意道路。"}
    assert got[("content.banned-words", "/zwdt/1.html")]["severity"] == "veto"
    trad = got[("content.traditional-chars", "/zwdt/3.html")]
    assert trad["evidence"]["chars_total"] > 100
    assert trad["evidence"]["version_prefixes"] == [f"{HOST}/big5/"]
