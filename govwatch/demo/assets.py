"""Small real files for the demo sites: PNG images, PDF/Word/Excel attachments, CSS, JS.

Written by hand (zlib + struct, no imaging library) so that the bytes are the same on every
machine: the world must hash identically between builds.
"""

from __future__ import annotations

import struct
import zlib


def png(width: int, height: int, rgb: tuple[int, int, int], stripe: int = 0) -> bytes:
    """A valid RGB PNG: a flat colour, with a lighter band every `stripe` rows if given."""
    r, g, b = rgb
    light = bytes((min(r + 40, 255), min(g + 40, 255), min(b + 40, 255))) * width
    flat = bytes((r, g, b)) * width
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        rows += light if stripe and (y // stripe) % 2 else flat

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF 1.4 with ASCII text lines (Helvetica); cross-reference offsets exact."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream_lines = ["BT", "/F1 12 Tf", "72 760 Td", "16 TL"]
    for line in lines:
        stream_lines.append(f"({escape(line)}) '")
    stream_lines.append("ET")
    stream = "\n".join(stream_lines).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def doc(title: str, paragraphs: list[str]) -> bytes:
    """A Word-readable document in RTF (many government .doc downloads are exactly this)."""

    def rtf(text: str) -> str:
        out = []
        for char in text:
            code = ord(char)
            if char in "\\{}":
                out.append("\\" + char)
            elif code < 128:
                out.append(char)
            else:
                out.append(f"\\u{code if code < 32768 else code - 65536}?")
        return "".join(out)

    parts = [
        "{\\rtf1\\ansi\\ansicpg936\\deff0{\\fonttbl{\\f0\\fnil\\fcharset134 SimSun;}}",
        f"\\pard\\qc\\b\\fs32 {rtf(title)}\\b0\\par",
    ]
    parts += [f"\\pard\\fi480\\fs24 {rtf(p)}\\par" for p in paragraphs]
    parts.append("}")
    return "\n".join(parts).encode("ascii")


def xls(title: str, header: list[str], rows: list[list[str]]) -> bytes:
    """An Excel-readable workbook in SpreadsheetML 2003 (served as application/vnd.ms-excel)."""

    def cell(value: str) -> str:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        kind = "Number" if value.replace(".", "", 1).isdigit() else "String"
        return f'<Cell><Data ss:Type="{kind}">{value}</Data></Cell>'

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?mso-application progid="Excel.Sheet"?>',
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">',
        '<Worksheet ss:Name="Sheet1"><Table>',
        f"<Row>{cell(title)}</Row>",
        "<Row>" + "".join(cell(h) for h in header) + "</Row>",
    ]
    lines += ["<Row>" + "".join(cell(v) for v in row) + "</Row>" for row in rows]
    lines += ["</Table></Worksheet>", "</Workbook>", ""]
    return "\n".join(lines).encode("utf-8")


CSS = {
    "trs": """/* TRS WCM style sheet (demo) */
body{margin:0;font:14px/1.8 "Microsoft YaHei",SimSun,sans-serif;color:#333;background:#f2f2f2}
a{color:#333;text-decoration:none}a:hover{color:#c00}
.w1200{width:1200px;margin:0 auto}
.top-bar{background:#fff;border-bottom:1px solid #ddd;font-size:12px;line-height:32px}
.header{background:#b4000b url(../images/banner.png) no-repeat center;height:140px}
.header .logo img{margin-top:28px;height:80px}
.header .site-title{display:none}
.nav{background:#9a0009}.nav ul{margin:0;padding:0;list-style:none;display:flex}
.nav li a{display:block;padding:0 26px;line-height:46px;color:#fff;font-size:16px}
.main{background:#fff;padding:20px;margin-top:12px}
.box{border-top:2px solid #b4000b;margin-bottom:16px}
.box h3{margin:0;font-size:18px;line-height:40px;color:#b4000b}
.list li{display:flex;justify-content:space-between;border-bottom:1px dashed #ddd}
.list li span{color:#999}
.article h1{font-size:26px;text-align:center;color:#000}
.xxgk_info{color:#666;text-align:center;border-bottom:1px solid #ddd;padding-bottom:8px}
.xxgk_table{width:100%;border-collapse:collapse;margin-bottom:16px}
.xxgk_table td{border:1px solid #ccc;padding:4px 8px}
.article .content p{text-indent:2em}
.page{text-align:center;margin:16px 0}.page a,.page span{margin:0 6px}
.footer{background:#b4000b;color:#fff;text-align:center;padding:20px 0;margin-top:20px}
.footer a{color:#fff}.foot-badge img{vertical-align:middle;margin:0 8px}
""",
    "hanweb": """/* Hanweb JCMS style sheet (demo) */
body{margin:0;font:14px/26px SimSun,"Microsoft YaHei";color:#222;background:#eaf1f8}
a{color:#222;text-decoration:none}a:hover{color:#0a5bb5;text-decoration:underline}
#container{width:1100px;margin:0 auto;background:#fff}
.head{height:160px;background:#0a5bb5 url(../images/banner.png) repeat-x}
.head .logo{padding:30px 0 0 40px}.head .logo img{height:70px}
.head h1{display:none}
.menu{background:#08478c;height:44px}.menu a{float:left;color:#fff;padding:0 22px;line-height:44px}
.con{padding:16px;overflow:hidden}
.lm-title{background:#e6eef7;line-height:36px;padding-left:12px;font-weight:bold}
table.list{width:100%}table.list td{border-bottom:1px dotted #bbb;height:32px}
table.list td.date{width:90px;text-align:right;color:#888}
.art-title{font-size:22px;text-align:center;line-height:40px;color:#0a5bb5}
.art-info{text-align:center;color:#777;background:#f5f8fb}
.art-con{padding:10px 30px}.art-con p{text-indent:2em}
.fujian{background:#f7f7f7;padding:8px 16px}
.bottom-copyright{background:#08478c;color:#dde;padding:16px 0}
.bottom-copyright a{color:#dde}.bottom-copyright table{margin:0 auto}
""",
    "simple": """/* plain template (demo) */
body{margin:0;font:15px/1.9 "PingFang SC","Microsoft YaHei",sans-serif;color:#2b2b2b}
a{color:#1d4f91;text-decoration:none}
.wrap{max-width:1000px;margin:0 auto;padding:0 12px}
.site-head{border-bottom:4px solid #1d4f91;padding:18px 0}
.site-head img{height:60px;vertical-align:middle}
.site-head .name{font-size:28px;font-weight:bold;color:#1d4f91;margin-left:12px}
.site-nav a{display:inline-block;padding:8px 14px;border-right:1px solid #ddd}
.panel{margin:18px 0}.panel h2{font-size:17px;border-left:4px solid #1d4f91;padding-left:8px}
.items .item{display:flex;justify-content:space-between;padding:6px 0;border-bottom:1px solid #eee}
.items .item em{font-style:normal;color:#888}
.post h1{font-size:24px}.post .meta{color:#777;border-bottom:1px solid #eee}
.post .text p{text-indent:2em}
.site-footer{background:#f4f4f4;color:#555;font-size:13px;padding:18px 0;margin-top:24px}
.site-footer span{margin-right:14px;display:inline-block}
""",
}

JS = """/* common.js (demo): date widget and navigation highlight */
(function () {
  var el = document.getElementById('today');
  if (el) {
    var d = new Date();
    el.innerHTML = d.getFullYear() + '\\u5e74' + (d.getMonth() + 1) + '\\u6708' + d.getDate()
      + '\\u65e5';
  }
  var links = document.querySelectorAll('.nav a, .menu a, .site-nav a');
  for (var i = 0; i < links.length; i++) {
    if (links[i].pathname === location.pathname) { links[i].className += ' on'; }
  }
})();
"""

JIUCUO_JS = """/* 政府网站找错 entry (demo copy of zfwzgl.www.gov.cn/exposure/jiucuo.js) */
(function () {
  var s = document.getElementById('_jiucuo_');
  var code = s ? s.getAttribute('sitecode') : '';
  window.Link = function (c) {
    window.open('http://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code=' + (c || code)
      + '&url=' + encodeURIComponent(location.href));
  };
})();
"""
