"""A small streaming XLSX (SpreadsheetML) writer for the report tables.

Why not openpyxl's write-only mode or xlsxwriter's constant_memory mode: both spend their
time in per-cell Python objects and method calls. For the annual report's 1,000 整改清单
(about 4.2 million cells) openpyxl write-only took 93-154 s and, measured on the same loaded
2-core machine on the same rows, xlsxwriter constant_memory about 85 s, against about 9 s for
this writer (bench/reports.py prints the end-to-end figure). The tables need only a fraction
of the format: inline strings and numbers, four fixed cell styles (plain, header, wrapped,
top-aligned), column widths, a frozen header row and an auto-filter. Rows are formatted to
XML text and streamed into the zip member as they come, so memory stays flat.

Inline strings (t="inlineStr") are never formulas, so text from crawled pages that starts
with "=" stays text; characters XML 1.0 cannot carry must be removed by the caller
(reports.xlsx.clean).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

Cell = str | int | float | None

# Cell styles (indexes into cellXfs of STYLES).
PLAIN, HEADER, WRAP, TOP = 0, 1, 2, 3

STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="00F2ECEC"/>'
    '<bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" '
    'applyFill="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '</cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class _Sheet:
    def __init__(self, title: str, widths: Sequence[float], header: Sequence[str],
                 styles: Sequence[int], rows: Iterable[Sequence[Cell]], n_rows: int) -> None:
        self.title = title
        self.widths = widths
        self.header = header
        self.styles = styles
        self.rows = rows
        self.n_rows = n_rows


class Workbook:
    """Sheets are added with their rows and written, in order, by `save`."""

    def __init__(self) -> None:
        self.sheets: list[_Sheet] = []
        self.created: datetime | None = None
        self.creator = "govwatch"

    def add_sheet(self, title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]], *,
                  n_rows: int, widths: Sequence[float], styles: Sequence[int]) -> None:
        """A table: a bold, filled header row (frozen, filtered) then `n_rows` rows; each
        column's width and body style given."""
        self.sheets.append(_Sheet(title, widths, header, styles, rows, n_rows))

    def save(self, path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            zf.writestr("[Content_Types].xml", self._content_types())
            zf.writestr("_rels/.rels", self._root_rels())
            zf.writestr("docProps/core.xml", self._core())
            zf.writestr("xl/workbook.xml", self._workbook())
            zf.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels())
            zf.writestr("xl/styles.xml", STYLES)
            for i, sheet in enumerate(self.sheets, start=1):
                with zf.open(f"xl/worksheets/sheet{i}.xml", "w") as out:
                    _write_sheet(out, sheet)

    def _content_types(self) -> str:
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(self.sheets) + 1))
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f"{sheets}</Types>")

    def _root_rels(self) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{DOC_TYPE}/officeDocument" '
            'Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            "</Relationships>")

    def _core(self) -> str:
        stamp = ""
        if self.created is not None:
            at = self.created.strftime("%Y-%m-%dT%H:%M:%SZ")
            stamp = (f'<dcterms:created xsi:type="dcterms:W3CDTF">{at}</dcterms:created>'
                     f'<dcterms:modified xsi:type="dcterms:W3CDTF">{at}</dcterms:modified>')
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:creator>{escape(self.creator)}</dc:creator>{stamp}</cp:coreProperties>")

    def _workbook(self) -> str:
        sheets = "".join(f"<sheet name={quoteattr(s.title)} sheetId=\"{i}\" r:id=\"rId{i}\"/>"
                         for i, s in enumerate(self.sheets, start=1))
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{escape(_quote_sheet(s.title))}!$A$1:${column_letter(len(s.header))}$"
            f"{s.n_rows + 1}</definedName>"
            for i, s in enumerate(self.sheets))
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            '<bookViews><workbookView/></bookViews>'
            f"<sheets>{sheets}</sheets>"
            + (f"<definedNames>{names}</definedNames>" if names else "")
            + "</workbook>")

    def _workbook_rels(self) -> str:
        n = len(self.sheets)
        sheets = "".join(f'<Relationship Id="rId{i}" Type="{DOC_TYPE}/worksheet" '
                         f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL_NS}">{sheets}'
            f'<Relationship Id="rId{n + 1}" Type="{DOC_TYPE}/styles" Target="styles.xml"/>'
            "</Relationships>")


def _quote_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _write_sheet(out: object, sheet: _Sheet) -> None:
    write = out.write  # type: ignore[attr-defined]
    ncols = len(sheet.header)
    letters = [column_letter(i) for i in range(1, ncols + 1)]
    last = letters[-1] if letters else "A"
    cols = "".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'
                   for i, w in enumerate(sheet.widths, start=1))
    head = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">',
        f'<dimension ref="A1:{last}{sheet.n_rows + 1}"/>',
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>',
        '<sheetFormatPr defaultRowHeight="15"/>',
        f"<cols>{cols}</cols>" if cols else "",
        "<sheetData>",
        _row(1, sheet.header, letters, [HEADER] * ncols),
    ]
    write("".join(head).encode("utf-8"))
    number = 1
    chunk: list[str] = []
    styles = sheet.styles
    for row in sheet.rows:
        number += 1
        chunk.append(_row(number, row, letters, styles))
        if len(chunk) >= 512:
            write("".join(chunk).encode("utf-8"))
            chunk.clear()
    if chunk:
        write("".join(chunk).encode("utf-8"))
    tail = (f'</sheetData><autoFilter ref="A1:{last}{sheet.n_rows + 1}"/>'
            '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" '
            'footer="0.5"/></worksheet>')
    write(tail.encode("utf-8"))


def _row(number: int, values: Sequence[Cell], letters: Sequence[str],
         styles: Sequence[int]) -> str:
    parts = [f'<row r="{number}">']
    n = str(number)
    for i, value in enumerate(values):
        if value is None:
            continue
        style = styles[i]
        s = f' s="{style}"' if style else ""
        ref = letters[i] + n
        if isinstance(value, str):
            text = escape(value)
            space = ' xml:space="preserve"' if value != value.strip() else ""
            parts.append(f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>')
        elif isinstance(value, bool):
            parts.append(f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>')
        else:
            parts.append(f'<c r="{ref}"{s}><v>{value!r}</v></c>')
    parts.append("</row>")
    return "".join(parts)
