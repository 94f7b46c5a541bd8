"""Settings: every tunable of govwatch, defined and documented once, here.

Sources, later wins: these defaults; the TOML file named by `GOVWATCH_SETTINGS`, else
`config/settings.toml` in the working directory if it exists; `GOVWATCH_DATABASE_URL`.
Unknown keys and wrongly typed values are errors (`SettingsError`, one line naming the file
and key), so a typo never silently falls back to a default.

Check options live under `[checks."<code>"]` (e.g. `points = 0.1`, `enabled = false`) and are
validated against each check's defaults by `checks.catalogue.resolve_options`.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

TIMEZONE = "Asia/Shanghai"


class SettingsError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class CrawlerSettings:
    # Sent with every request so webmasters can see who is inspecting them and write to us.
    user_agent: str = "govwatch/0.1 (government website inspection; +mailto:{contact})"
    contact: str = "govwatch@example.gov.cn"
    # Seconds before a request with no complete answer is abandoned (then retried).
    download_timeout: float = 15.0
    # Extra attempts for transient failures (timeouts, resets, 502/503/504) before "dead".
    retries: int = 2
    # Bodies larger than this are not downloaded; the URL is recorded as too_large (not dead).
    max_body_bytes: int = 8 * 1024 * 1024
    max_redirects: int = 10
    # "obey" robots.txt of each site, or "ignore" it (supervisors may be entitled to).
    robots: str = "obey"
    # Host -> "address:port" to connect to instead of resolving the host (like curl's
    # --connect-to); "*.example.gov.cn" patterns allowed. The request still names the host.
    connect_to: dict[str, str] = field(default_factory=dict)
    # Egress HTTP proxy for every request ("" = none), e.g. "http://10.0.0.1:3128".
    proxy: str = ""
    # Global limit of requests in flight (per-site limits come from the registry).
    concurrent_requests: int = 64
    # Statuses to a HEAD request that mean "ask again with GET" (bot filters, HEAD refused).
    head_fallback_statuses: tuple[int, ...] = (400, 401, 403, 404, 405, 406, 409, 500, 501, 503)
    # Longest Retry-After (seconds) honoured by slowing a host down; beyond, give up.
    retry_after_max: float = 120.0
    # Ask each host for a random non-existent URL to recognise its soft-404 page.
    soft404_probe: bool = True
    # Seconds between progress lines on stderr.
    progress_interval: float = 2.0
    # Rows per database write from the crawl pipeline.
    batch_size: int = 200


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = "sqlite:///govwatch.db"
    timezone: str = TIMEZONE
    crawler: CrawlerSettings = field(default_factory=CrawlerSettings)
    # Per-check overrides: {"links.dead": {"points": 0.1, "enabled": True}}.
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "<defaults>"

    def check_enabled(self, code: str) -> bool:
        return bool(self.checks.get(code, {}).get("enabled", True))

    def check_overrides(self, code: str) -> dict[str, Any]:
        return {k: v for k, v in self.checks.get(code, {}).items() if k != "enabled"}


def _coerce(where: str, key: str, default: Any, value: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise SettingsError(f"{where}: {key} 应为 true/false，而不是 {value!r}")
        return value
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list):
            raise SettingsError(f"{where}: {key} 应为列表，而不是 {value!r}")
        return tuple(value)
    if not isinstance(value, type(default)) or isinstance(value, bool) != isinstance(
        default, bool
    ):
        raise SettingsError(
            f"{where}: {key} 应为 {type(default).__name__}，而不是 {value!r}"
        )
    return value


def _merge_crawler(where: str, base: CrawlerSettings, data: Any) -> CrawlerSettings:
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: [crawler] 应为表")
    known = {f.name: f for f in fields(CrawlerSettings)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise SettingsError(f"{where}: 未知设置 crawler.{key}")
        changes[key] = _coerce(where, f"crawler.{key}", getattr(base, key), value)
    result = replace(base, **changes)
    if result.robots not in ("obey", "ignore"):
        raise SettingsError(f"{where}: crawler.robots 只能是 obey 或 ignore")
    for name in ("download_timeout", "max_body_bytes", "concurrent_requests", "batch_size"):
        if getattr(result, name) <= 0:
            raise SettingsError(f"{where}: crawler.{name} 必须大于 0")
    if result.retries < 0:
        raise SettingsError(f"{where}: crawler.retries 不能为负数")
    for host, target in result.connect_to.items():
        if not isinstance(target, str) or ":" not in target:
            raise SettingsError(f"{where}: crawler.connect_to.{host} 应为 \"地址:端口\"")
    return result


def load_settings(path: str | Path | None = None) -> Settings:
    """Load settings; see the module docstring for the order of sources."""
    settings = Settings()
    if path is None:
        env = os.environ.get("GOVWATCH_SETTINGS")
        if env:
            path = Path(env)
            if not path.is_file():
                raise SettingsError(f"GOVWATCH_SETTINGS 指向的文件不存在: {path}")
        elif Path("config/settings.toml").is_file():
            path = Path("config/settings.toml")
    if path is not None:
        settings = apply_file(settings, Path(path))
    db_url = os.environ.get("GOVWATCH_DATABASE_URL")
    if db_url:
        settings = replace(settings, database_url=db_url)
    return settings


def apply_file(settings: Settings, path: Path) -> Settings:
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{where}: 无法读取: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{where}: TOML 语法错误: {exc}") from None
    return apply_mapping(settings, data, where)


def apply_mapping(settings: Settings, data: dict[str, Any], where: str) -> Settings:
    changes: dict[str, Any] = {"source": where}
    for key, value in data.items():
        if key == "database_url":
            changes[key] = _coerce(where, key, settings.database_url, value)
        elif key == "timezone":
            changes[key] = _coerce(where, key, settings.timezone, value)
        elif key == "crawler":
            changes[key] = _merge_crawler(where, settings.crawler, value)
        elif key == "checks":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise SettingsError(f"{where}: [checks.\"代码\"] 应为表")
            merged = {k: dict(v) for k, v in settings.checks.items()}
            for code, opts in value.items():
                merged.setdefault(code, {}).update(opts)
            changes[key] = merged
        else:
            raise SettingsError(f"{where}: 未知设置 {key}")
    return replace(settings, **changes)
