"""content.privacy-leak — 泄露个人信息（身份证号、手机号码、银行卡号）.

Rule: 002 第二十条 (不得泄露、篡改、毁损收集的个人信息); 检查指标 (泄露个人信息: 单项否决).
Measured from the personal numbers the crawl found in each page's visible text (and in the text
of attachments it read), stored masked (crawler.textscan; the database never holds them whole):
- 居民身份证号: 18 characters with a valid ISO 7064 MOD 11-2 check character and a calendar
  birth date — always counted;
- bank card numbers: 16-19 digits passing the Luhn check, counted only when one of
  `bank_context` (卡号, 账号, 银行卡 ...) stands in the `context_chars` characters before the
  number: long Luhn-valid numbers are otherwise common (order and file numbers), and a leaked
  card number is almost always labelled;
- mobile numbers (1[3-9] + 9 digits, standing alone): counted unless one of `mobile_exempt`
  (联系电话, 咨询电话, 联系人 ...) stands in the `context_chars` characters before it — a
  number a page publishes as its contact line is not a leak; a list of people with their
  numbers has names, not labels, before each.
Masked numbers (430***1234, 138****5678) are never read as numbers. `kinds` chooses what is
counted. One finding per page (a 公示 list of `list_min` or more numbers is one finding, marked
as a list); the first `max_pages` pages by URL; evidence: up to `max_numbers` masked numbers
with their masked context. A number in an attachment (crawler.attachments: PDF, DOCX, XLSX,
XLS, RTF and SpreadsheetML; binary .doc is not read) gives a finding on the attachment's URL,
found on the page that links it.
Fix: remove the numbers, or mask them (e.g. 430***********1234, 138****5678), in the page and in
its attachments; check the 公示 templates that print them.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from crawler.facts import PersonalNumber

KIND_LABELS = {"id": "居民身份证号", "mobile": "手机号码", "bank": "银行卡号"}

RULE = Rule(
    code="content.privacy-leak",
    title="泄露个人信息",
    severity=Severity.VETO,
    reference="shanxi-2018 第二十条; zhibiao-2019 （单项否决：泄露个人信息）",
    scope="page",
    options=MappingProxyType(
        {
            "kinds": ("id", "mobile", "bank"),
            "bank_context": ("卡号", "账号", "帐号", "银行卡", "账户", "帐户", "开户"),
            "mobile_exempt": (
                "联系电话", "联系方式", "咨询电话", "举报电话", "投诉电话", "监督电话",
                "服务电话", "办公电话", "热线", "联系人",
            ),
            "context_chars": 12,
            "list_min": 3,
            "max_pages": 200,
            "max_numbers": 10,
        }
    ),
    fix="删除页面及附件中的个人身份证号、手机号码、银行卡号，或按“430***********1234”方式脱敏后再发布。",
)


def counted(number: PersonalNumber, ctx: Context) -> bool:
    options = ctx.options
    if number.kind not in options["kinds"]:
        return False
    before = number.before[-options["context_chars"]:] if options["context_chars"] > 0 else ""
    if number.kind == "bank":
        return any(word in before for word in options["bank_context"])
    if number.kind == "mobile":
        return not any(word in before for word in options["mobile_exempt"])
    return number.kind == "id"


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    # (url, page, numbers): pages, then attachments (found on the page that links them).
    found: list[tuple[str, str, list[PersonalNumber], str]] = []
    for page in site.pages:
        if page.facts is not None and page.facts.personal:
            numbers = [n for n in page.facts.personal if counted(n, ctx)]
            if numbers:
                found.append((page.url, page.url, numbers, ""))
    for attachment in site.attachments:
        numbers = [n for n in attachment.personal if counted(n, ctx)]
        if numbers:
            found.append((attachment.url, attachment.page_url, numbers, attachment.format))
    found.sort(key=lambda f: (f[0], f[1]))
    for url, where, numbers, fmt in found[: ctx.options["max_pages"]]:
        kinds = {kind: sum(1 for n in numbers if n.kind == kind) for kind in KIND_LABELS}
        summary = "、".join(f"{KIND_LABELS[k]}{c}个" for k, c in kinds.items() if c)
        is_list = len(numbers) >= ctx.options["list_min"]
        what = f"附件（{fmt.upper()}）" if fmt else "页面"
        message = f"{what}公开了未脱敏的个人信息（{summary}）"
        if is_list:
            message += "，疑似公示名单"
        message += f"，如{numbers[0].masked}"
        yield RULE.finding(
            ctx,
            url=url,
            page=where,
            message=message,
            evidence={
                "numbers": [
                    {"kind": KIND_LABELS[n.kind], "masked": n.masked, "before": n.before}
                    for n in numbers[: ctx.options["max_numbers"]]
                ],
                "numbers_total": len(numbers),
                "roster": is_list,
                "attachment_format": fmt,
                "pages_total": len(found),
            },
        )
