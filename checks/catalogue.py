"""The check catalogue: THE explicit list of built-in checks, plus third-party plugins.

Built-ins are named in `BUILTIN` (like pytest's `default_plugins`), never discovered by walking
the package, so that the catalogue order is stable and a check cannot appear or disappear
because a file was added or renamed. Plugins register in the entry-point group
`govwatch.checks`; an entry point names a module, or an object, that has `RULE` and `check`.

Every entry, built-in or plugin, passes the same validation, and anything wrong raises
`CatalogueError` with one line naming the module and the problem: in a compliance product a
check that silently vanishes (a plugin that failed to import, a duplicate code shadowing
another) is worse than a crash.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.base import CheckFunc, Rule, Severity
from checks.regulations import reference_problem

ENTRY_POINT_GROUP = "govwatch.checks"

BUILTIN: tuple[str, ...] = (
    "checks.links.dead",
    "checks.links.dead_home",
    "checks.links.check_cap",
    "checks.columns.stale",
    "checks.columns.blank",
    "checks.home.stale",
    "checks.identity.icp_missing",
    "checks.identity.police_missing",
    "checks.identity.site_code_missing",
    "checks.identity.site_code_mismatch",
    "checks.identity.conac_missing",
    "checks.archive.label_missing",
    "checks.archive.time_missing",
    "checks.repost.lapse",
    "checks.availability.unreachable",
    "checks.availability.slow",
    "checks.domain.not_gov",
    "checks.identity.name_missing",
    "checks.identity.jiucuo_missing",
    "checks.meta.page_tags",
    "checks.meta.source_missing",
    "checks.meta.pubdate_missing",
    "checks.content.commercial_ads",
    "checks.content.fake_dates",
    "checks.interaction.unanswered",
    "checks.service.guide_incomplete",
    "checks.https.missing",
    "checks.content.spam_injected",
    "checks.content.malicious_embed",
    # content (issue 12): text checks
    "checks.content.serious_errors",
    "checks.content.typos",
    "checks.content.banned_words",
    "checks.content.privacy_leak",
    "checks.content.traditional_chars",
)

CODE_PATTERN = re.compile(r"^[a-z]+(\.[a-z0-9-]+)+$")


class CatalogueError(Exception):
    """A check module or plugin that cannot be used; the message is one line."""


class OptionsError(ValueError):
    """An option override that does not fit a check's defaults; the message is one line."""


@dataclass(frozen=True, slots=True)
class CheckSpec:
    rule: Rule
    check: CheckFunc
    module: str  # the module path, or the entry point's value for a plugin


def load_catalogue(include_plugins: bool = True) -> dict[str, CheckSpec]:
    """Every check by code, in catalogue order: `BUILTIN` first, then plugins by name."""
    catalogue: dict[str, CheckSpec] = {}
    for path in BUILTIN:
        try:
            module = importlib.import_module(path)
        except Exception as exc:
            raise CatalogueError(f"检查模块 {path} 无法导入: {_one_line(exc)}") from exc
        _add(catalogue, _spec(path, module))
    if include_plugins:
        entry_points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        for ep in sorted(entry_points, key=lambda e: (e.name, e.value)):
            where = f"{ep.value}（插件 {ep.name}）"
            try:
                target = ep.load()
            except Exception as exc:
                raise CatalogueError(f"检查插件 {where} 无法加载: {_one_line(exc)}") from exc
            _add(catalogue, _spec(where, target))
    return catalogue


def resolve_options(rule: Rule, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The rule's option defaults with `overrides` applied, each checked against its default.

    An unknown key or a value of another type than the default's (an int is accepted for a
    float, a list for a tuple) raises `OptionsError`, so a typo in the settings never silently
    leaves the default in force.
    """
    merged = dict(rule.options)
    for key, value in overrides.items():
        if key not in rule.options:
            known = "、".join(sorted(rule.options)) or "无"
            raise OptionsError(f"检查项 {rule.code} 没有选项 {key!r}（可用选项: {known}）")
        merged[key] = _coerce(rule.code, key, rule.options[key], value)
    if rule.prepare is not None:
        try:
            merged = rule.prepare(merged)
        except (OSError, ValueError) as exc:
            raise OptionsError(f"检查项 {rule.code} 的选项无效: {_one_line(exc)}") from exc
    return merged


def _coerce(code: str, key: str, default: Any, value: Any) -> Any:
    def wrong(expected: str) -> OptionsError:
        return OptionsError(f"检查项 {code} 的选项 {key} 应为 {expected}，而不是 {value!r}")

    if default is None:  # no default to compare with: anything goes
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise wrong("bool")
        return value
    if isinstance(value, bool):  # bool is an int subclass; never accept it for a number
        raise wrong(type(default).__name__)
    if isinstance(default, float):
        if not isinstance(value, int | float):
            raise wrong("float")
        return float(value)
    if isinstance(default, tuple | list):
        if not isinstance(value, tuple | list):
            raise wrong("列表")
        kinds = {type(item) for item in default}
        if len(kinds) == 1:
            (kind,) = kinds
            if any(not isinstance(item, kind) for item in value):
                raise wrong(f"{kind.__name__} 列表")
        return type(default)(value)
    if isinstance(default, Mapping):
        if not isinstance(value, Mapping):
            raise wrong("表")
        return dict(value)
    if not isinstance(value, type(default)):
        raise wrong(type(default).__name__)
    return value


def _spec(where: str, target: object) -> CheckSpec:
    rule = getattr(target, "RULE", None)
    check = getattr(target, "check", None)
    if not isinstance(rule, Rule):
        raise CatalogueError(f"检查模块 {where} 无效: 缺少 RULE（checks.base.Rule）")
    problem = _rule_problem(rule)
    if problem:
        raise CatalogueError(f"检查模块 {where} 无效: {problem}")
    if not callable(check):
        raise CatalogueError(f"检查模块 {where} 无效: 缺少可调用的 check(site, ctx)")
    return CheckSpec(rule=rule, check=check, module=where)


def _rule_problem(rule: Rule) -> str:
    if not isinstance(rule.code, str) or not CODE_PATTERN.match(rule.code):
        return f"代码 {rule.code!r} 不符合 {CODE_PATTERN.pattern}"
    if not isinstance(rule.title, str) or not rule.title.strip():
        return f"{rule.code} 缺少标题"
    if not isinstance(rule.reference, str) or not rule.reference.strip():
        return f"{rule.code} 缺少规则依据（reference）"
    problem = reference_problem(rule.reference, need_national=True)
    if problem:
        return f"{rule.code} 的规则依据无效: {problem}"
    if not isinstance(rule.severity, Severity):
        return f"{rule.code} 的严重程度 {rule.severity!r} 不是 Severity"
    if not isinstance(rule.options, Mapping) or not all(isinstance(k, str) for k in rule.options):
        return f"{rule.code} 的 options 应为以字符串为键的映射"
    return ""


def _add(catalogue: dict[str, CheckSpec], spec: CheckSpec) -> None:
    code = spec.rule.code
    if code in catalogue:
        raise CatalogueError(
            f"检查模块 {spec.module} 无效: 代码 {code} 已由 {catalogue[code].module} 使用"
        )
    catalogue[code] = spec


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
