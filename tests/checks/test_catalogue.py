"""The catalogue: complete, consistent, loud about broken plugins; options validated."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import pkgutil
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType, SimpleNamespace
from typing import Any

import pytest

import checks
from checks import catalogue
from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.catalogue import (
    BUILTIN,
    CatalogueError,
    OptionsError,
    load_catalogue,
    resolve_options,
)
from tests.checks.snapshots import context, snapshot

FIXTURES = Path(__file__).parent / "fixtures"


def _modules_with_rule() -> set[str]:
    found = set()
    for info in pkgutil.walk_packages(checks.__path__, "checks."):
        module = importlib.import_module(info.name)
        if isinstance(getattr(module, "RULE", None), Rule):
            found.add(info.name)
    return found


def test_every_module_defining_rule_is_registered() -> None:
    missing = _modules_with_rule() - set(BUILTIN)
    assert not missing, f"check modules missing from checks.catalogue.BUILTIN: {sorted(missing)}"


def test_builtin_is_the_catalogue_in_order() -> None:
    assert len(set(BUILTIN)) == len(BUILTIN)
    loaded = load_catalogue(include_plugins=False)
    assert [spec.module for spec in loaded.values()] == list(BUILTIN)
    assert list(loaded) == [importlib.import_module(m).RULE.code for m in BUILTIN]


def _expects_findings(path: Path) -> bool:
    return bool(json.loads(path.read_text(encoding="utf-8"))["expect"])


@pytest.mark.parametrize("module", BUILTIN)
def test_rule_is_documented_and_has_good_and_bad_fixtures(module: str) -> None:
    mod = importlib.import_module(module)
    rule: Rule = mod.RULE
    assert rule.reference.strip() and rule.title.strip() and rule.fix.strip()
    assert mod.__doc__ and mod.__doc__.startswith(rule.code), "docstring starts with the code"
    cases = sorted((FIXTURES / rule.code).glob("*.json"))
    assert any(_expects_findings(p) for p in cases), f"no bad case for {rule.code}"
    assert any(not _expects_findings(p) for p in cases), f"no good case for {rule.code}"


# --- plugins -------------------------------------------------------------------------------

PLUGIN_RULE = Rule(
    code="acme.footer-phone",
    title="页脚未展示联系电话",
    severity=Severity.NOTICE,
    reference="dezhou-2013 第十三条(四); zhiyin-2017",
    options=MappingProxyType({"min_digits": 7}),
)


def _plugin_check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    home = site.home
    if home is not None and home.facts is not None and "电话" not in home.facts.footer_text:
        yield PLUGIN_RULE.finding(ctx, url=home.url, page=home.url, message="无电话")


def _install(
    monkeypatch: pytest.MonkeyPatch, **modules: Any
) -> list[importlib.metadata.EntryPoint]:
    """Put fake modules in sys.modules and make them the only `govwatch.checks` plugins."""
    eps = []
    for name, target in modules.items():
        if isinstance(target, str):  # an entry point value naming something absent
            value = target
        else:
            monkeypatch.setitem(sys.modules, name, target)
            value = name
        eps.append(importlib.metadata.EntryPoint(name=name, value=value, group="govwatch.checks"))

    def entry_points(**kwargs: Any) -> list[importlib.metadata.EntryPoint]:
        assert kwargs == {"group": "govwatch.checks"}
        return eps

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    return eps


def _module(name: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in attrs.items():
        setattr(module, key, value)
    return module


def test_plugin_module_is_loaded_after_builtins_and_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    _install(monkeypatch, acme_checks=_module("acme_checks", RULE=PLUGIN_RULE, check=_plugin_check))
    loaded = load_catalogue()
    assert list(loaded)[-1] == "acme.footer-phone"
    assert list(loaded)[: len(BUILTIN)] == list(load_catalogue(include_plugins=False))
    spec = loaded["acme.footer-phone"]
    assert "acme_checks" in spec.module
    site = snapshot({"pages": [{"url": "/", "facts": {"footer_text": "版权所有"}}]})
    ctx = context(site, resolve_options(spec.rule, {"min_digits": 8}))
    [finding] = spec.check(site, ctx)
    assert (finding.check, finding.severity) == ("acme.footer-phone", Severity.NOTICE)


def test_plugin_object_with_rule_and_check(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = SimpleNamespace(RULE=PLUGIN_RULE, check=_plugin_check)
    module = _module("acme_obj", PLUGIN=plugin)
    monkeypatch.setitem(sys.modules, "acme_obj", module)
    ep = importlib.metadata.EntryPoint("acme", "acme_obj:PLUGIN", "govwatch.checks")
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **kw: [ep])
    assert load_catalogue()["acme.footer-phone"].check is _plugin_check


def test_plugins_can_be_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    _install(monkeypatch, broken="no_such_module_anywhere")
    assert "acme.footer-phone" not in load_catalogue(include_plugins=False)


def _rule(**changes: Any) -> Rule:
    fields: dict[str, Any] = {
        "code": PLUGIN_RULE.code,
        "title": PLUGIN_RULE.title,
        "severity": PLUGIN_RULE.severity,
        "reference": PLUGIN_RULE.reference,
    }
    fields.update(changes)
    return Rule(**fields)


BROKEN: dict[str, tuple[Any, str]] = {
    "import-fails": ("no_such_module_anywhere", "无法加载"),
    "no-rule": (_module("acme_bad", check=_plugin_check), "缺少 RULE"),
    "rule-not-a-rule": (_module("acme_bad", RULE={"code": "a.b"}, check=_plugin_check), "RULE"),
    "bad-code": (_module("acme_bad", RULE=_rule(code="Acme_Phone"), check=_plugin_check), "代码"),
    "one-part-code": (_module("acme_bad", RULE=_rule(code="acme"), check=_plugin_check), "代码"),
    "duplicate-of-builtin": (
        _module("acme_bad", RULE=_rule(code="links.dead"), check=_plugin_check),
        "checks.links.dead",
    ),
    "empty-title": (_module("acme_bad", RULE=_rule(title=" "), check=_plugin_check), "标题"),
    "empty-reference": (_module("acme_bad", RULE=_rule(reference=""), check=_plugin_check), "依据"),
    "reference-by-file-name": (
        _module("acme_bad", RULE=_rule(reference="000_bbadca5fb3fd911a.txt 第十三条(四)"),
                check=_plugin_check),
        "未知的法规代号",
    ),
    "reference-local-only": (
        _module("acme_bad", RULE=_rule(reference="dezhou-2013 第十三条(四)"), check=_plugin_check),
        "全国性文件",
    ),
    "severity-not-enum": (
        _module("acme_bad", RULE=_rule(severity="deduct"), check=_plugin_check),
        "Severity",
    ),
    "check-not-callable": (_module("acme_bad", RULE=PLUGIN_RULE, check="nope"), "check"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_plugin_fails_loudly(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    target, problem = BROKEN[case]
    _install(monkeypatch, acme_bad=target)
    with pytest.raises(CatalogueError) as info:
        load_catalogue()
    message = str(info.value)
    assert "\n" not in message
    assert "acme_bad" in message or "no_such_module_anywhere" in message
    assert problem in message


def test_two_plugins_with_one_code(monkeypatch: pytest.MonkeyPatch) -> None:
    _install(
        monkeypatch,
        acme_one=_module("acme_one", RULE=PLUGIN_RULE, check=_plugin_check),
        acme_two=_module("acme_two", RULE=PLUGIN_RULE, check=_plugin_check),
    )
    with pytest.raises(CatalogueError, match=r"acme_two.*acme_one"):
        load_catalogue()


def test_broken_builtin_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalogue, "BUILTIN", (*BUILTIN, "checks.links.no_such_check"))
    with pytest.raises(CatalogueError, match=r"checks\.links\.no_such_check.*无法导入"):
        load_catalogue(include_plugins=False)


# --- options -------------------------------------------------------------------------------

OPTIONS_RULE = _rule(
    options=MappingProxyType(
        {"points": 0.1, "limit": 200, "strict": False, "tags": ("SiteName",), "pattern": "x"}
    )
)


def test_options_default_and_override() -> None:
    assert resolve_options(OPTIONS_RULE, {}) == dict(OPTIONS_RULE.options)
    resolved = resolve_options(OPTIONS_RULE, {"points": 1, "limit": 5, "tags": ["A", "B"]})
    assert resolved["points"] == 1.0 and isinstance(resolved["points"], float)
    assert resolved["limit"] == 5
    assert resolved["tags"] == ("A", "B")
    assert resolved["strict"] is False
    assert OPTIONS_RULE.options["limit"] == 200  # defaults untouched


def test_builtin_defaults_resolve_to_themselves() -> None:
    for spec in load_catalogue(include_plugins=False).values():
        resolved = resolve_options(spec.rule, dict(spec.rule.options))
        # A rule's `prepare` hook may add what it loaded, under keys starting with "_".
        declared = {k: v for k, v in resolved.items() if not k.startswith("_")}
        assert declared == dict(spec.rule.options)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"pionts": 0.2}, "'pionts'"),
        ({"points": "0.2"}, "points"),
        ({"points": True}, "points"),
        ({"limit": 2.5}, "limit"),
        ({"limit": True}, "limit"),
        ({"strict": 1}, "strict"),
        ({"tags": "SiteName"}, "tags"),
        ({"tags": ["SiteName", 3]}, "tags"),
        ({"pattern": 3}, "pattern"),
    ],
)
def test_options_rejected(overrides: dict[str, Any], fragment: str) -> None:
    with pytest.raises(OptionsError) as info:
        resolve_options(OPTIONS_RULE, overrides)
    message = str(info.value)
    assert "acme.footer-phone" in message and fragment in message and "\n" not in message


def test_unknown_option_on_a_builtin_names_the_check() -> None:
    rule = load_catalogue(include_plugins=False)["links.dead"].rule
    with pytest.raises(OptionsError, match=r"links\.dead.*'point'"):
        resolve_options(rule, {"point": 0.2})
