"""What the demo world plants for the content text checks (issue 12): paragraphs added to
named articles, positives and near misses, and one site's declared 繁体 version.

Each plant is a paragraph appended to one article (site, column type, index in the column,
newest first) with the finding it must raise, or None for a near miss that must raise
nothing. The expected findings follow from these declarations (`expected_findings`), written
independently of checks/: a page's finding is the plant's check on that article's URL.
"""

from __future__ import annotations

from dataclasses import dataclass

CHECKS_ISSUE12_TEXT = (
    "content.banned-words",
    "content.privacy-leak",
    "content.serious-errors",
    "content.traditional-chars",
    "content.typos",
)


@dataclass(frozen=True, slots=True)
class TextPlant:
    site: str
    column: str  # column type (news, notice, policy)
    index: int  # article of the column, newest first, 0-based
    paragraph: str
    check: str | None  # the finding it raises; None: a near miss
    severity: str = ""  # where the check's severity depends on the plant


TEXT_PLANTS: tuple[TextPlant, ...] = (
    # content.serious-errors: a wrong form of a fixed political term.
    TextPlant("changsha", "news", 2, "会议要求，坚持中国特色社会注意道路不动摇，推动各项工作落实。",
              "content.serious-errors"),
    # content.typos: 截止目前 for 截至目前.
    TextPlant("zhuzhou", "notice", 1, "截止目前，全市已完成年度目标任务的九成以上。",
              "content.typos"),
    # content.banned-words: a veto expression, and a deduct one.
    TextPlant("liuyang", "news", 3, "市外事办介绍了北朝鲜经贸代表团来访的有关情况。",
              "content.banned-words", "veto"),
    TextPlant("liling", "policy", 1, "各地要为残废人提供就业帮扶和技能培训。",
              "content.banned-words", "deduct"),
    # content.privacy-leak: a 公示 list of three people with whole 身份证号 and mobile numbers.
    TextPlant("jianghua", "notice", 2,
              "拟补助对象名单：张三 431124199003030028 13812345678；"
              "李四 431124197809151524 13912345670；王五 11010519491231002X 13712345671。",
              "content.privacy-leak"),
    # content.traditional-chars: traditional characters in a simplified article.
    TextPlant("yongzhou", "news", 2, "本網站將持續更新相關信息，歡迎廣大群眾監督。",
              "content.traditional-chars"),
    # Near misses.
    TextPlant("changsha", "notice", 2,
              "请认真学习《永州市政府網站建設管理辦法》，坚持中国特色社会主义。", None),
    TextPlant("zhuzhou", "news", 3, "截至目前，申报工作进展顺利，申报截止时间以通知为准。", None),
    TextPlant("jianghua", "news", 2,
              "公示对象：张三，身份证号430***********1234，手机138****5678。"
              "咨询电话：13800001111。", None),
    TextPlant("liuyang", "policy", 1, "与朝鲜、韩国开展经贸交流，关爱残疾人。", None),
)



@dataclass(frozen=True, slots=True)
class AttachmentPlant:
    """An Excel attachment (SpreadsheetML, as govwatch.demo.assets writes it) added to one
    article, with the finding it must raise on the attachment, or None (a near miss)."""

    site: str
    column: str
    index: int
    path: str  # URL path of the file
    title: str
    rows: tuple[tuple[str, ...], ...]  # 序号, 姓名, 身份证号
    check: str | None


ATTACHMENT_PLANTS: tuple[AttachmentPlant, ...] = (
    AttachmentPlant("zhuzhou", "notice", 0, "/uploads/gsmd/bzdx2026.xls", "2026年度补助对象名单",
                    (("1", "张三", "431124199003030028"), ("2", "李四", "431124197809151524")),
                    "content.privacy-leak"),
    # Near miss: the same list published masked.
    AttachmentPlant("changsha", "policy", 2, "/uploads/gsmd/bzdx2026.xls",
                    "2026年度补助对象名单（已脱敏）",
                    (("1", "张三", "430***********1234"), ("2", "李四", "431***********1524")),
                    None),
)
ATTACHMENT_HEADER = ["序号", "姓名", "身份证号"]

# The declared 繁体 version: a page under /big5/ on one site, linked as 繁體版 from its
# 联系我们 page. Its traditional text is the site's version, not a finding.
TRADITIONAL_SITE = "liling"
TRADITIONAL_PATH = "/big5/index.html"
TRADITIONAL_LINK_PAGE = "/lxwm.html"
TRADITIONAL_LINK_TEXT = "繁體版"
TRADITIONAL_TITLE = "醴陵市人民政府網站（繁體版）"
TRADITIONAL_PARAGRAPHS = (
    "歡迎訪問醴陵市人民政府網站繁體版。",
    "本網站發佈政務動態、通知公告和政策文件，為港澳臺同胞和海外僑胞提供資訊服務。",
)
