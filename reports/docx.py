"""DOCX reports (python-docx), laid out as a Chinese official document after GB/T 9704-2012
《党政机关公文格式》, simplified: A4 with the standard margins; the 版头 (发文机关 in red, the
文号, a red rule); the title in 小标宋 二号; 主送机关; the body in 仿宋 三号 with first-level
headings in 黑体 (一、) and second-level in 楷体 (（一）); tables in 仿宋 小四; the 发文机关
署名 and 成文日期 at the end, right-aligned; then the 附件 (the ranking, the sample).

Word is how such documents circulate: every value is text the recipient can edit. Chinese
fonts are named for East Asian text (w:eastAsia), with common fallbacks left to Word. The
sites' 整改清单 go beside it as sites/<id>.docx, one per site, in the same style.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from reports import model as v
from reports.official import Official
from reports.render import remove_stale, site_file, temp_path
from reports.xlsx import clean

RED = RGBColor(0xC0, 0x00, 0x00)
BODY_FONT = "仿宋_GB2312"  # 三号 16 pt
TITLE_FONT = "方正小标宋简体"  # 二号 22 pt
HEADING_FONT = "黑体"
SUB_FONT = "楷体_GB2312"
LATIN_FONT = "Times New Roman"
SEVERITY_NAMES = {"veto": "单项否决", "deduct": "扣分", "notice": "提示"}


def _fonts(run_or_style: object, east_asian: str, size: float | None = None, *,
           bold: bool = False, color: RGBColor | None = None) -> None:
    font = run_or_style.font  # type: ignore[attr-defined]
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    font.bold = bold
    if color is not None:
        font.color.rgb = color
    element = run_or_style.element  # type: ignore[attr-defined]
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asian)


def _text(value: object) -> str:
    text = clean(value if isinstance(value, (str, int, float)) or value is None
                 else str(value))
    return "" if text is None else str(text)


class OfficialDocument:
    """A python-docx document with the paragraph kinds of a 公文."""

    def __init__(self, *, landscape: bool = False) -> None:
        self.doc: DocumentObject = Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = Mm(297), Mm(210)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        normal = self.doc.styles["Normal"]
        _fonts(normal, BODY_FONT, 16)
        fmt = normal.paragraph_format
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.line_spacing = Pt(28)

    def para(self, text: str = "", *, align: WD_ALIGN_PARAGRAPH | None = None,
             font: str = BODY_FONT, size: float = 16, bold: bool = False,
             color: RGBColor | None = None, indent: bool = False) -> Paragraph:
        p = self.doc.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)  # two characters
        if text:
            _fonts(p.add_run(_text(text)), font, size, bold=bold, color=color)
        return p

    def heading(self, text: str) -> Paragraph:
        return self.para(text, font=HEADING_FONT, indent=True)

    def subheading(self, text: str) -> Paragraph:
        return self.para(text, font=SUB_FONT, indent=True)

    def body(self, text: str) -> Paragraph:
        return self.para(text, indent=True)

    def title(self, text: str) -> Paragraph:
        p = self.para(text, align=WD_ALIGN_PARAGRAPH.CENTER, font=TITLE_FONT, size=22)
        p.paragraph_format.line_spacing = Pt(36)
        return p

    def red_rule(self) -> None:
        """The 版头's red separator: a bottom border on an empty paragraph."""
        p = self.para()
        ppr = p._p.get_or_add_pPr()
        borders = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for key, value in (("val", "single"), ("sz", "18"), ("space", "1"),
                           ("color", "C00000")):
            bottom.set(qn(f"w:{key}"), value)
        borders.append(bottom)
        ppr.append(borders)

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def table(self, header: Sequence[str], rows: Iterable[Sequence[object]], *,
              size: float = 12) -> None:
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, name in zip(table.rows[0].cells, header, strict=True):
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _fonts(p.add_run(name), HEADING_FONT, size)
        # mark the header row to repeat on every page
        tr_pr = table.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        tr_pr.append(repeat)
        # Body rows as XML text, parsed once: python-docx's add_row()/add_run() cost about
        # 5 ms per row, which a 整改清单 of hundreds of rows (x 1,000 sites) cannot afford.
        half_points = round(size * 2)
        run_props = (f'<w:rPr><w:rFonts w:ascii="{LATIN_FONT}" w:hAnsi="{LATIN_FONT}" '
                     f'w:eastAsia="{BODY_FONT}"/><w:sz w:val="{half_points}"/>'
                     f'<w:szCs w:val="{half_points}"/></w:rPr>')
        cell_open = ('<w:tc><w:p><w:pPr><w:spacing w:line="240" w:lineRule="auto"/></w:pPr>'
                     f'<w:r>{run_props}<w:t xml:space="preserve">')
        cell_close = "</w:t></w:r></w:p></w:tc>"
        body = "".join(
            "<w:tr>" + "".join(f"{cell_open}{escape(_text(value))}{cell_close}"
                               for value in row) + "</w:tr>"
            for row in rows)
        if body:
            parsed = parse_xml(f"<w:tbl {nsdecls('w')}>{body}</w:tbl>")
            tbl = table._tbl
            for tr in list(parsed):
                tbl.append(tr)
        self.para()

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_path(path)
        try:
            self.doc.save(str(tmp))
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _sponsor(site: v.SiteInfo) -> str:
    return site.sponsor or "—"


def _letterhead(d: OfficialDocument, o: Official) -> None:
    d.para(f"{o.issuer_text}", align=WD_ALIGN_PARAGRAPH.CENTER, font=TITLE_FONT, size=26,
           color=RED)
    d.para()
    d.para(o.doc_number_text, align=WD_ALIGN_PARAGRAPH.CENTER)
    d.red_rule()
    d.para()


def _closing(d: OfficialDocument, o: Official) -> None:
    d.para()
    d.para()
    d.para(o.issuer_text, align=WD_ALIGN_PARAGRAPH.RIGHT)
    d.para(o.issue_date_text, align=WD_ALIGN_PARAGRAPH.RIGHT)


def _overview(r: v.Report) -> str:
    if r.sample is None:
        coverage = f"采用全面检查方式（{r.inspected_all} 个网站全覆盖）"
    else:
        coverage = (f"按网站级别分层随机抽查（抽查比例 {r.sample.rate_text}，随机种子 "
                    f"{r.sample.seed}，从 {r.sample.population} 个网站中抽取 "
                    f"{r.sample.size} 个）")
    s = r.stats
    text = (f"{r.start_date} 至 {r.end_date}，{coverage}，共检查政府网站 {s.inspected} 个，"
            f"合格 {s.passed} 个，不合格 {s.failed} 个（其中存在单项否决问题的 "
            f"{s.veto_sites} 个），合格率 {s.pass_rate_text}")
    if r.rate_change_text:
        text += f"，{r.rate_change_text}"
    text += (f"。共发现问题 {s.findings} 处，其中新发现 {s.new} 处、此前发现仍存在 "
             f"{r.persisting} 处；期内已整改问题 {s.fixed} 处；超期未整改问题 "
             f"{r.overdue} 处。")
    if r.excluded:
        text += (f"另有 {len(r.excluded)} 处问题经审核豁免或认定为误报，不计分、不计入"
                 "问题数（见附件）。")
    if s.average_score is not None:
        text += f"平均得分 {v.fmt_number(s.average_score)} 分。"
    return text


def report_document(r: v.Report) -> OfficialDocument:
    """The 通报 / 普查 / 年度报告 as a 公文."""
    o = r.official
    if o is None:
        raise ValueError("a DOCX report needs its official heading (Report.official)")
    d = OfficialDocument()
    _letterhead(d, o)
    d.title(r.title)
    d.para()
    d.para(f"{o.recipients}：")
    d.body(f"根据政府网站监管工作安排，现将{r.period_label}政府网站检查情况通报如下。")

    d.heading("一、总体情况")
    d.body(_overview(r))
    d.table(("级别", "检查网站", "合格", "不合格", "合格率", "平均得分", "问题数"), [
        *((x.label, x.inspected, x.passed, x.failed, x.pass_rate_text,
           v.fmt_number(x.average_score), x.findings) for x in r.levels),
        ("合计", r.stats.inspected, r.stats.passed, r.stats.failed, r.stats.pass_rate_text,
         v.fmt_number(r.stats.average_score), r.stats.findings),
    ])

    d.heading("二、不合格网站名单")
    if r.failing:
        d.table(("序号", "网站名称", "主办单位", "级别", "得分", "不合格原因"), [
            (i, s.site.name, _sponsor(s.site), s.site.level_label, s.score_text, s.reasons)
            for i, s in enumerate(r.failing, start=1)
        ])
    else:
        d.body("本期检查的网站均合格，无不合格网站。")

    d.heading("三、发现的主要问题")
    if r.typical:
        for i, p in enumerate(r.typical, start=1):
            d.subheading(f"（{i}）{p.title}（{p.severity_label}）")
            d.body(f"涉及网站 {p.sites} 个，共 {p.findings} 处。例如："
                   + "；".join(f"{e.site_name}：{e.message}" for e in p.examples) + "。")
            if p.fix:
                d.body(f"整改方法：{p.fix}")
    else:
        d.body("本期未发现扣分或单项否决问题。")
    if r.checks:
        d.table(("检查项", "性质", "问题数", "涉及网站", "新发现", "期内整改", "期末未整改"), [
            (c.title, c.severity_label, c.findings, c.sites, c.new, c.fixed, c.open_at_end)
            for c in r.checks
        ])

    d.heading("四、整改要求")
    d.body(f"（一）各网站主办单位要对照本通报和所附整改清单逐项整改，于 {o.deadline_text}前"
           f"完成整改，并将整改情况报送{o.issuer or '发文机关'}。")
    d.body("（二）列入不合格名单的网站要立即整改单项否决问题，并举一反三、全面排查同类问题；"
           "对无力整改或长期不更新的网站，按程序关停整合。")
    d.body("（三）各地区、各部门要落实网站日常监测和内容保障责任，杜绝问题反弹。整改情况将在"
           "下一次检查中核查。")
    attachments = (["网站得分排名"] + (["抽查样本"] if r.sample is not None else [])
                   + (["已豁免/误报问题"] if r.excluded else []))
    d.para()
    d.body("附件：" + "　".join(f"{i}. {name}" for i, name in enumerate(attachments, 1)))
    _closing(d, o)

    d.page_break()
    d.para("附件1", font=HEADING_FONT)
    d.title("网站得分排名")
    d.table(("排名", "网站名称", "主办单位", "级别", "得分", "结论", "单项否决", "扣分问题",
             "超期未整改", "较上期"), [
        *((s.rank, s.site.name, _sponsor(s.site), s.site.level_label, s.score_text, s.result,
           s.veto_findings, s.deduct_findings, s.overdue, s.change_text)
          for s in r.sites),
        ("合计", "", "", "", "", "", sum(s.veto_findings for s in r.sites),
         sum(s.deduct_findings for s in r.sites), r.overdue, ""),
    ], size=10.5)
    if r.sample is not None:
        d.page_break()
        d.para("附件2", font=HEADING_FONT)
        d.title("抽查样本")
        d.body(f"随机种子 {r.sample.seed}，样本 {r.sample.size} 个，总体 "
               f"{r.sample.population} 个；抽样记录指纹 {r.sample.digest}。")
        d.table(("序号", "网站名称", "主办单位", "级别", "网址"), [
            (i, s.name, _sponsor(s), s.level_label, s.url)
            for i, s in enumerate(r.sample.sites, start=1)
        ], size=10.5)
    if r.excluded:
        d.page_break()
        d.para(f"附件{len(attachments)}", font=HEADING_FONT)
        d.title("已豁免/误报问题")
        d.body("以下问题经督查人员审核豁免（豁免期内）或认定为误报，不计分、不计入问题数。")
        d.table(("序号", "网站名称", "检查项", "问题描述", "处理", "理由"), [
            (i, e.site_name, e.title, e.message,
             e.kind + (f"（至 {e.until}）" if e.until else ""), e.reason or "—")
            for i, e in enumerate(r.excluded, start=1)
        ], size=10.5)
    d.para()
    d.para("检查代码对照：" + "；".join(f"{c.title} {c.code}" for c in r.checks)
           if r.checks else "", size=10.5)
    return d


def rectification_document(rect: v.Rectification, o: Official | None) -> OfficialDocument:
    """One site's 整改清单 (landscape: its table is wide)."""
    d = OfficialDocument(landscape=True)
    d.title(f"{rect.site.name}整改清单")
    d.para(f"（{rect.report_title} · {rect.period_label}）", align=WD_ALIGN_PARAGRAPH.CENTER)
    d.para()
    c = rect.counts
    sponsor = f"，主办单位 {rect.site.sponsor}" if rect.site.sponsor else ""
    due = f"请于 {o.deadline_text}前完成整改。" if o is not None else ""
    d.body(f"网站 {rect.site.url}{sponsor}。需整改问题 {len(rect.items)} 处（单项否决 "
           f"{c['veto']}，扣分 {c['deduct']}，提示 {c['notice']}；超期未整改 "
           f"{rect.overdue}）。{due}")
    d.table(("序号", "检查项", "性质", "问题描述", "问题对象", "证据", "依据", "整改方法",
             "首次发现", "整改期限", "状态"), [
        (f.number, f.title, f.severity_label, f.message, f.url, f.evidence_text, f.rule,
         f.fix, f.first_seen, (f.deadline or "—") + ("（超期）" if f.overdue else ""),
         f.status)
        for f in rect.items
    ], size=9)
    return d


def write_docx(report: v.Report, rects: Iterable[v.Rectification], out_dir: Path,
               *, created: datetime | None = None) -> tuple[Path, Path, int]:
    """report.docx plus sites/<id>.docx; returns (report path, sites dir, sites written)."""
    main = out_dir / "report.docx"
    doc = report_document(report)
    _properties(doc, report.title, created)
    doc.save(main)
    sites_dir = out_dir / "sites"
    sites_dir.mkdir(parents=True, exist_ok=True)
    written: set[str] = set()
    for rect in rects:
        name = site_file(rect.site.id, "docx")
        site_doc = rectification_document(rect, report.official)
        _properties(site_doc, f"{rect.site.name}整改清单", created)
        site_doc.save(sites_dir / name)
        written.add(name)
    remove_stale(sites_dir, written, "docx")
    return main, sites_dir, len(written)


def _properties(d: OfficialDocument, title: str, created: datetime | None) -> None:
    props = d.doc.core_properties
    props.title = title
    props.author = "govwatch"
    if created is not None:
        props.created = props.modified = created.replace(tzinfo=None)
