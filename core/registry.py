"""Load and validate the site registry (config/sites.yaml; contract: interfaces.md section 2).

Why `yaml.compose` rather than `safe_load`: every message must name the line of the offending
key or value, and only the node graph keeps source marks. Why collect every error instead of
stopping at the first: an operator fixing a 200-site file wants the whole list at once. A file
with any error yields nothing (`RegistryInvalid`), so a half-valid registry never reaches the
database.

What is checked (each problem is one `RegistryError` naming file, line and reason in Chinese):
- top level: a mapping with exactly the key `sites`, a non-empty list of mappings;
- per entry: only the keys of `SiteEntry`, no key twice; `id`, `name`, `url`, `level` required;
  every value's type and shape (see `_Parser.entry` and the example registry,
  config/sites.example.yaml);
- across entries: unique ids; `parent` and `repost_from` name a site of this file or one of
  `known_ids` (the sites already in the database); no site is its own parent; no parent cycles.
YAML merge keys (`<<: *defaults`) are honoured; a key given explicitly overrides a merged one.

Limits (a registry is operator input, but it may come from elsewhere; each limit is a
one-line error naming it and the line where it was crossed):
- MAX_FILE_BYTES: the file's size (only that much is ever read);
- MAX_SITES: entries in `sites`;
- MAX_FIELD_CHARS: the length of any one string value;
- MAX_NODES: the document's size with every alias and merge key expanded. Anchors, aliases
  and merge keys stay allowed (a `defaults` mapping merged into each site is their normal
  use and costs little), but their expansion counts against this budget, so a "billion
  laughs" of nested aliases or a tower of `<<: [*m, *m, ...]` is refused after at most
  MAX_NODES steps instead of being expanded; an alias that contains itself is refused too.
Lists and mappings nested hundreds deep (beyond the parser's stack) are one error as well.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from core.site import (
    COLUMN_TYPES,
    EMAIL_RE,
    KINDS,
    LEVELS,
    ColumnSpec,
    Contact,
    CrawlOptions,
    SiteEntry,
)

__all__ = ["RegistryError", "RegistryInvalid", "load_registry", "parse_registry"]

FIELDS = (
    "id", "name", "url", "level", "kind", "parent", "site_code", "icp", "repost_from",
    "important_columns", "repost_columns", "columns", "archive_paths", "crawl", "hosts",
    "sponsor", "contacts",
)  # fmt: skip
REQUIRED = ("id", "name", "url", "level")
COLUMN_FIELDS = ("name", "path", "type")
CRAWL_FIELDS = ("max_pages", "max_depth", "delay", "concurrency")
CONTACT_FIELDS = ("name", "email", "webhook")
MAX_CONTACTS = 20  # per site: a notice goes to each, so a long list is a mistake
MAX_CONCURRENCY = 64
# Limits (see the module docstring). 10,000 sites of ~300 bytes each fit MAX_FILE_BYTES.
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_SITES = 10_000
MAX_FIELD_CHARS = 2048  # a URL's limit in the store; names and paths are far shorter
MAX_NODES = 1_000_000

# [0-9], not \d: \d also matches full-width digits, which would slip through.
_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
_SITE_CODE_RE = re.compile(r"[0-9]{10}|bm[0-9]{8}")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*", re.IGNORECASE)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


class RegistryError(Exception):
    """One problem in a registry file. `line` is 1-based; None only when no line applies
    (the file cannot be read), and then str() is `path: reason`."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        super().__init__(path, line, reason)  # args kept so the error pickles
        self.path = path
        self.line = line
        self.reason = reason

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.reason}"
        return f"{self.path}:{self.line}: {self.reason}"


class RegistryInvalid(Exception):
    """Every problem found in one registry file, in line order; nothing was imported."""

    def __init__(self, errors: Sequence[RegistryError]) -> None:
        if not errors:
            raise ValueError("RegistryInvalid needs at least one error")
        super().__init__(list(errors))
        self.errors: list[RegistryError] = list(errors)

    def __str__(self) -> str:
        return f"{self.errors[0]}（共 {len(self.errors)} 处错误）"


def load_registry(path: str | Path, known_ids: Collection[str] = ()) -> list[SiteEntry]:
    """Read and validate a registry file (UTF-8, BOM tolerated); raises RegistryInvalid."""
    name = str(path)
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        reason = f"无法读取文件：{exc.strerror or exc}"
        raise RegistryInvalid([RegistryError(name, None, reason)]) from None
    if len(data) > MAX_FILE_BYTES:
        line = data.count(b"\n", 0, MAX_FILE_BYTES) + 1
        raise RegistryInvalid([RegistryError(name, line, _too_big())])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        reason = "文件不是 UTF-8 编码（GBK 等编码的文件请另存为 UTF-8）"
        raise RegistryInvalid([RegistryError(name, line, reason)]) from None
    return parse_registry(text, name, known_ids)


def parse_registry(
    text: str, path: str = "<string>", known_ids: Collection[str] = ()
) -> list[SiteEntry]:
    """Validate registry text; `path` only labels the messages. Raises RegistryInvalid."""
    if len(text) > MAX_FILE_BYTES:  # characters, at least as many bytes
        line = text.count("\n", 0, MAX_FILE_BYTES) + 1
        raise RegistryInvalid([RegistryError(path, line, _too_big())])
    return _Parser(path).parse(text, known_ids)


def _too_big() -> str:
    return f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MiB 的上限（MAX_FILE_BYTES），请拆分或精简"


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> str:
    return f'"{_clip(text)}"'


class _Unparsed:
    """Stands for a scalar that safe_load could not construct (unknown tag, bad date)."""


_UNPARSED = _Unparsed()


class _Entry:
    """What the cross-entry checks need to know about one parsed entry."""

    __slots__ = ("ctx", "id", "id_line", "parent", "repost_from", "site")

    def __init__(self, ctx: str) -> None:
        self.ctx = ctx  # how messages name the site: "（站点 yongzhou）"
        self.id: str | None = None
        self.id_line = 0
        self.parent: tuple[str, int] | None = None  # (value, line)
        self.repost_from: list[tuple[str, int]] = []
        self.site: SiteEntry | None = None


class _Parser:
    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[RegistryError] = []
        self._constructor = SafeConstructor()

    # -- plumbing ---------------------------------------------------------------------------

    def fail(self, where: Node | int, reason: str) -> None:
        line = where if isinstance(where, int) else _line(where)
        self.errors.append(RegistryError(self.path, line, reason))

    def scalar(self, node: ScalarNode) -> object:
        """The Python value of a scalar, as `yaml.safe_load` would give it."""
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError):  # e.g. an unknown !tag, or date 2024-13-45
            return _UNPARSED  # not a str, int, ...: every field rejects it

    def describe(self, node: Node) -> str:
        """How a wrong value is named in a message: kind, then the value as written."""
        if isinstance(node, MappingNode):
            return "映射"
        if isinstance(node, SequenceNode):
            return "列表"
        value = self.scalar(node) if isinstance(node, ScalarNode) else None
        if value is None:
            return "空值"
        if isinstance(value, str):
            return f"字符串 {_quote(value)}"
        if value is _UNPARSED:
            return f"无法解析的值 {_quote(str(node.value))}（类型标签 {node.tag}）"
        kind = {bool: "布尔值", int: "整数", float: "数字"}.get(type(value), "非字符串值")
        return f"{kind} {_clip(str(node.value))}"

    def is_null(self, node: Node) -> bool:
        return isinstance(node, ScalarNode) and self.scalar(node) is None

    def pairs(
        self, node: MappingNode, ctx: str, _active: frozenset[int] = frozenset()
    ) -> dict[str, tuple[Node, Node]]:
        """Key -> (key node, value node), merge keys flattened; bad and repeated keys reported.

        `_active` guards against a mapping that merges itself through an alias.
        """
        own: dict[str, tuple[Node, Node]] = {}
        merged: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for src in sources:
                    if not isinstance(src, MappingNode) or id(src) in _active | {id(node)}:
                        self.fail(value_node, f"合并键 << 的值应为映射或映射的列表{ctx}")
                        continue
                    for key, pair in self.pairs(src, ctx, _active | {id(node)}).items():
                        merged.setdefault(key, pair)  # earlier sources win, as YAML says
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag != _STR_TAG:
                self.fail(key_node, f"字段名应为字符串，实际为{self.describe(key_node)}{ctx}")
                continue
            key = str(key_node.value)
            if key in own:
                first = _line(own[key][0])
                self.fail(key_node, f"字段 {_quote(key)} 重复（第 {first} 行已有）{ctx}")
                continue
            own[key] = (key_node, value_node)
        return {**merged, **own}

    def string(self, node: Node, label: str, ctx: str) -> str | None:
        """A non-empty string (surrounding blanks removed), or None after reporting why not."""
        value = self.scalar(node) if isinstance(node, ScalarNode) else None
        if not isinstance(node, ScalarNode) or not isinstance(value, str):
            self.fail(node, f"{label} 应为字符串，实际为{self.describe(node)}{ctx}")
            return None
        if not value.strip():
            self.fail(node, f"{label} 不能为空{ctx}")
            return None
        if len(value) > MAX_FIELD_CHARS:
            self.fail(node, f"{label} 长 {len(value)} 个字符，超过 {MAX_FIELD_CHARS} 个字符的上限"
                      f"（MAX_FIELD_CHARS）{ctx}")
            return None
        return value.strip()

    def seq(self, node: Node, label: str, ctx: str) -> list[Node] | None:
        if not isinstance(node, SequenceNode):
            self.fail(node, f"{label} 应为列表，实际为{self.describe(node)}{ctx}")
            return None
        return list(node.value)

    def integer(self, node: Node, label: str, ctx: str) -> int | None:
        value = self.scalar(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(node, f"{label} 应为整数，实际为{self.describe(node)}{ctx}")
            return None
        return value

    # -- the file -------------------------------------------------------------------------

    def parse(self, text: str, known_ids: Collection[str]) -> list[SiteEntry]:
        entries = self.document(text)
        if entries:
            self.cross_check(entries, known_ids)
        if self.errors:
            self.errors.sort(key=lambda e: e.line or 0)  # stable: same-line errors keep order
            raise RegistryInvalid(self.errors)
        return [e.site for e in entries if e.site is not None]

    def document(self, text: str) -> list[_Entry]:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except RecursionError:  # PyYAML composes nested collections recursively
            self.fail(1, "列表或映射嵌套过深（数百层），无法解析")
            return []
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else 1
            problem = " ".join((exc.problem or exc.context or "无法解析").split())
            self.fail(line, f"YAML 语法错误：{problem}")
            return []
        except ReaderError as exc:  # a control character: no mark, a position
            line = text.count("\n", 0, exc.position) + 1
            self.fail(line, f"YAML 无法读取：含不允许的字符 #x{exc.character:04x}")
            return []
        except yaml.YAMLError as exc:  # not raised by compose today; kept to one line anyway
            self.fail(1, f"YAML 无法读取：{' '.join(str(exc).split())}")
            return []
        if root is None:
            self.fail(1, "文件为空：应为含 sites 列表的映射")
            return []
        if not isinstance(root, MappingNode):
            self.fail(root, f"顶层应为只含 sites 字段的映射，实际为{self.describe(root)}")
            return []
        if not self.within_budget(root):
            return []
        top = self.pairs(root, "")
        for key, (key_node, _) in top.items():
            if key != "sites":
                self.fail(key_node, f"未知顶层字段 {_quote(key)}：顶层只允许 sites")
        if "sites" not in top:
            self.fail(root, "缺少顶层字段 sites")
            return []
        sites_node = top["sites"][1]
        items = self.seq(sites_node, "sites", "")
        if items is None:
            return []
        if not items:
            self.fail(sites_node, "sites 列表为空：至少应登记一个站点")
            return []
        if len(items) > MAX_SITES:
            self.fail(items[MAX_SITES], f"站点数超过 {MAX_SITES} 个的上限（MAX_SITES），"
                      "请拆分为多个文件分别导入")
            return []
        return [e for i, item in enumerate(items, 1) if (e := self.entry(item, i)) is not None]

    def within_budget(self, root: Node) -> bool:
        """Whether the document, every alias and merge key expanded, has at most MAX_NODES
        nodes and no alias inside itself. Counted without expanding anything: each distinct
        node's expanded size once (post-order, memoised), so this costs one pass over the
        nodes as written, and stops at the first node whose expansion is over budget."""
        size: dict[int, int] = {}
        on_path: set[int] = set()
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, finished = stack.pop()
            key = id(node)
            if finished:
                on_path.discard(key)
                total = 1 + sum(size[id(child)] for child in _children(node))
                if total > MAX_NODES:
                    self.fail(node, f"展开别名与合并键（&、*、<<）后内容超过 {MAX_NODES} 个节点的"
                              "上限（MAX_NODES），请不要嵌套引用别名")
                    return False
                size[key] = total
                continue
            if key in size:
                continue
            if key in on_path:
                self.fail(node, "别名或合并键引用了包含它自身的内容（循环引用）")
                return False
            on_path.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node) if id(child) not in size)
        return True

    # -- one entry ------------------------------------------------------------------------

    def entry(self, node: Node, index: int) -> _Entry | None:
        if not isinstance(node, MappingNode):
            self.fail(node, f"第 {index} 个站点应为映射，实际为{self.describe(node)}")
            return None
        # Name the site in every message; its id is read raw here, validated below.
        ctx = f"（第 {index} 个站点）"
        for key_node, value_node in node.value:
            if not isinstance(value_node, ScalarNode):
                continue
            raw = str(value_node.value).strip()
            if key_node.value == "id" and value_node.tag == _STR_TAG and _ID_RE.fullmatch(raw):
                ctx = f"（站点 {raw}）"
        errors_before = len(self.errors)
        fields = self.pairs(node, ctx)
        for key, (key_node, _) in fields.items():
            if key not in FIELDS:
                hint = difflib.get_close_matches(key, FIELDS, n=1)
                tail = f"；是否应为 {_quote(hint[0])}？" if hint else ""
                self.fail(key_node, f"未知字段 {_quote(key)}{ctx}{tail}")
        # A null value (`parent:` left blank) means "not given".
        given = {k: v for k, (_, v) in fields.items() if k in FIELDS and not self.is_null(v)}
        for key in REQUIRED:
            if key not in given:
                where = fields[key][1] if key in fields else node
                self.fail(where, f"缺少必填字段 {_quote(key)}{ctx}")

        entry = _Entry(ctx)
        if "id" in given:
            entry.id_line = _line(given["id"])
            ident = self.string(given["id"], "id", ctx)
            if ident is not None and not _ID_RE.fullmatch(ident):
                self.fail(
                    given["id"],
                    f"id {_quote(ident)} 只能含小写字母、数字和连字符，且不以连字符开头{ctx}",
                )
            elif ident is not None:
                entry.id = ident
        name = self.string(given["name"], "name", ctx) if "name" in given else None
        url = self.url(given["url"], ctx) if "url" in given else None
        level = self.choice(given["level"], "level", LEVELS, ctx) if "level" in given else None
        kind = self.choice(given["kind"], "kind", KINDS, ctx) if "kind" in given else "portal"
        if "parent" in given:
            parent = self.string(given["parent"], "parent", ctx)
            if parent is not None:
                entry.parent = (parent, _line(given["parent"]))
        site_code = self.site_code(given["site_code"], ctx) if "site_code" in given else None
        icp = self.string(given["icp"], "icp", ctx) if "icp" in given else None
        sponsor = self.string(given["sponsor"], "sponsor", ctx) if "sponsor" in given else None
        if sponsor is not None and len(sponsor) > 255:
            self.fail(given["sponsor"], f"sponsor 太长（最多 255 个字符）{ctx}")
        if "repost_from" in given:
            for item in self.seq(given["repost_from"], "repost_from", ctx) or []:
                value = self.string(item, "repost_from 的站点", ctx)
                if value is None:
                    continue
                if value in (v for v, _ in entry.repost_from):
                    self.fail(item, f"repost_from 中 {_quote(value)} 重复{ctx}")
                entry.repost_from.append((value, _line(item)))
        important, reposts, archive = (
            self.paths(given[key], key, ctx) if key in given else ()
            for key in ("important_columns", "repost_columns", "archive_paths")
        )
        crawl = self.crawl(given["crawl"], ctx) if "crawl" in given else CrawlOptions()
        hosts = self.hosts(given["hosts"], ctx) if "hosts" in given else ()
        site_hosts = None
        if url is not None and hosts is not None:
            site_hosts = {h.lower() for h in (urlsplit(url).hostname or "", *hosts)}
        columns = self.columns(given["columns"], site_hosts, ctx) if "columns" in given else ()
        contacts = self.contacts(given["contacts"], ctx) if "contacts" in given else ()

        if len(self.errors) == errors_before:
            # No error reported means every value above was set; the asserts tell mypy.
            assert entry.id and name and url and level and kind and crawl
            assert important is not None and reposts is not None and archive is not None
            assert hosts is not None and columns is not None and contacts is not None
            entry.site = SiteEntry(
                id=entry.id, name=name, url=url, level=level, kind=kind,
                parent=entry.parent[0] if entry.parent else None,
                site_code=site_code, icp=icp,
                repost_from=tuple(v for v, _ in entry.repost_from),
                important_columns=important, repost_columns=reposts,
                columns=columns, archive_paths=archive,
                crawl=crawl, hosts=hosts, sponsor=sponsor or None, contacts=contacts,
            )  # fmt: skip
        return entry

    def choice(self, node: Node, label: str, allowed: Sequence[str], ctx: str) -> str | None:
        value = self.string(node, label, ctx)
        if value is not None and value not in allowed:
            self.fail(
                node, f"{label} 的值 {_quote(value)} 无效，应为 {' | '.join(allowed)} 之一{ctx}"
            )
            return None
        return value

    def url(self, node: Node, ctx: str) -> str | None:
        """An http(s) URL with a host; an empty path becomes "/" so URLs compare equal."""
        text = self.string(node, "url", ctx)
        if text is None:
            return None
        problem = _url_problem(text)
        if problem is not None:
            self.fail(node, f"url {_quote(text)} {problem}{ctx}")
            return None
        parts = urlsplit(text)
        return urlunsplit(parts._replace(path=parts.path or "/"))

    def site_code(self, node: Node, ctx: str) -> str | None:
        value = self.scalar(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, int) and not isinstance(value, bool):
            # An unquoted 10-digit code reads as an int; a shorter int has lost leading zeros.
            if 10**9 <= value < 10**10:
                return str(value)
            self.fail(
                node,
                f"site_code {node.value} 被读成了整数，前导零可能已丢失："
                f'请用引号括起标识码，如 "0123456789"{ctx}',
            )
            return None
        code = self.string(node, "site_code", ctx)
        if code is not None and not _SITE_CODE_RE.fullmatch(code):
            self.fail(node, f"site_code {_quote(code)} 格式无效：应为10位数字或 bm 加8位数字{ctx}")
            return None
        return code

    def site_path(self, node: Node, label: str, ctx: str) -> str | None:
        value = self.string(node, label, ctx)
        if value is None:
            return None
        if not value.startswith("/") or value.startswith("//") or any(ch.isspace() for ch in value):
            self.fail(
                node,
                f'{label} 的路径 {_quote(value)} 无效：应为以 "/" 开头、不含空白的站内路径{ctx}',
            )
            return None
        return value

    def paths(self, node: Node, label: str, ctx: str) -> tuple[str, ...] | None:
        items = self.seq(node, label, ctx)
        if items is None:
            return None
        values = [self.site_path(item, label, ctx) for item in items]
        return None if None in values else tuple(v for v in values if v is not None)

    def hosts(self, node: Node, ctx: str) -> tuple[str, ...] | None:
        items = self.seq(node, "hosts", ctx)
        if items is None:
            return None
        result: list[str] = []
        for item in items:
            host = self.string(item, "hosts 的主机名", ctx)
            if host is not None and not _valid_host(host):
                self.fail(
                    item,
                    f"hosts 的主机名 {_quote(host)} 无效：只写主机名，不含协议、端口和路径{ctx}",
                )
            elif host is not None:
                result.append(host)
        return tuple(result) if len(result) == len(items) else None

    def columns(
        self, node: Node, site_hosts: set[str] | None, ctx: str
    ) -> tuple[ColumnSpec, ...] | None:
        items = self.seq(node, "columns", ctx)
        if items is None:
            return None
        result: list[ColumnSpec] = []
        seen: dict[str, int] = {}
        for item in items:
            if not isinstance(item, MappingNode):
                self.fail(
                    item,
                    f"columns 的每一项应为映射 {{name, path, type}}，"
                    f"实际为{self.describe(item)}{ctx}",
                )
                continue
            before = len(self.errors)
            fields = self.pairs(item, ctx)
            for key, (key_node, _) in fields.items():
                if key not in COLUMN_FIELDS:
                    reason = f"栏目的未知字段 {_quote(key)}：只允许 name、path、type{ctx}"
                    self.fail(key_node, reason)
            given = {k: v for k, (_, v) in fields.items() if not self.is_null(v)}
            for key in ("name", "path"):
                if key not in given:
                    self.fail(item, f"栏目缺少必填字段 {_quote(key)}{ctx}")
            name = self.string(given["name"], "栏目 name", ctx) if "name" in given else None
            path = self.column_path(given["path"], site_hosts, ctx) if "path" in given else None
            kind = None
            if "type" in given:
                kind = self.choice(given["type"], "栏目 type", COLUMN_TYPES, ctx)
            if path is not None:
                if path in seen:
                    self.fail(
                        given["path"],
                        f"栏目路径 {_quote(path)} 重复（第 {seen[path]} 行已有）{ctx}",
                    )
                seen.setdefault(path, _line(given["path"]))
            if len(self.errors) == before and name is not None and path is not None:
                result.append(ColumnSpec(name=name, path=path, type=kind))
        return tuple(result) if len(result) == len(items) else None

    def contacts(self, node: Node, ctx: str) -> tuple[Contact, ...] | None:
        """The site's webmasters: each {name, email, webhook}, email and/or webhook given."""
        items = self.seq(node, "contacts", ctx)
        if items is None:
            return None
        if len(items) > MAX_CONTACTS:
            self.fail(items[MAX_CONTACTS], f"contacts 超过 {MAX_CONTACTS} 个的上限"
                      f"（MAX_CONTACTS）{ctx}")
            return None
        result: list[Contact] = []
        for index, item in enumerate(items, 1):
            label = f"contacts 第 {index} 项"
            if not isinstance(item, MappingNode):
                self.fail(item, f"{label}应为映射 {{name, email, webhook}}，"
                          f"实际为{self.describe(item)}{ctx}")
                continue
            before = len(self.errors)
            fields = self.pairs(item, ctx)
            for key, (key_node, _) in fields.items():
                if key not in CONTACT_FIELDS:
                    self.fail(key_node, f"{label}的未知字段 {_quote(key)}：只允许 name、email、"
                              f"webhook{ctx}")
            given = {k: v for k, (_, v) in fields.items()
                     if k in CONTACT_FIELDS and not self.is_null(v)}
            if "email" not in given and "webhook" not in given:
                self.fail(item, f"{label}至少应有 email 或 webhook 之一{ctx}")
            name = self.string(given["name"], f"{label}的 name", ctx) if "name" in given else ""
            email = None
            if "email" in given:
                email = self.string(given["email"], f"{label}的 email", ctx)
                if email is not None and not EMAIL_RE.fullmatch(email):
                    self.fail(given["email"], f"{label}的 email {_quote(email)} 不是有效的电子邮件"
                              f"地址（应为一个地址，如 webmaster@example.gov.cn）{ctx}")
            webhook = None
            if "webhook" in given:
                webhook = self.string(given["webhook"], f"{label}的 webhook", ctx)
                problem = _url_problem(webhook) if webhook is not None else None
                if problem is not None:
                    self.fail(given["webhook"],
                              f"{label}的 webhook {_quote(webhook or '')} {problem}{ctx}")
            if len(self.errors) == before:
                result.append(Contact(name=name or "", email=email, webhook=webhook))
        return tuple(result) if len(result) == len(items) else None

    def column_path(self, node: Node, site_hosts: set[str] | None, ctx: str) -> str | None:
        """A path on the site, or an absolute URL on one of the site's hosts."""
        value = self.string(node, "栏目 path", ctx)
        if value is None:
            return None
        if value.startswith("/") and not value.startswith("//"):
            return self.site_path(node, "栏目 path", ctx)
        if _url_problem(value) is not None:
            self.fail(
                node, f'栏目 path {_quote(value)} 无效：应为以 "/" 开头的路径或本站的完整网址{ctx}'
            )
            return None
        host = (urlsplit(value).hostname or "").lower()
        if site_hosts is not None and host not in site_hosts:
            self.fail(
                node,
                f"栏目 path {_quote(value)} 不在本站主机上（本站主机："
                f"{'、'.join(sorted(site_hosts))}；其他主机请加入 hosts）{ctx}",
            )
            return None
        return value

    def crawl(self, node: Node, ctx: str) -> CrawlOptions | None:
        if not isinstance(node, MappingNode):
            self.fail(node, f"crawl 应为映射，实际为{self.describe(node)}{ctx}")
            return None
        before = len(self.errors)
        numbers: dict[str, int] = {}
        delay_seconds: float | None = None
        for key, (key_node, value_node) in self.pairs(node, ctx).items():
            label = f"crawl.{key}"
            if key not in CRAWL_FIELDS:
                self.fail(
                    key_node,
                    f"crawl 的未知字段 {_quote(key)}：只允许 {'、'.join(CRAWL_FIELDS)}{ctx}",
                )
            elif key == "delay":
                delay = self.scalar(value_node) if isinstance(value_node, ScalarNode) else None
                if isinstance(delay, bool) or not isinstance(delay, int | float):
                    self.fail(
                        value_node,
                        f"{label} 应为数字（秒），实际为{self.describe(value_node)}{ctx}",
                    )
                elif not math.isfinite(delay) or delay < 0:
                    self.fail(
                        value_node, f"{label} 应为不小于 0 的有限数，实际为 {value_node.value}{ctx}"
                    )
                else:
                    delay_seconds = float(delay)
            else:
                number = self.integer(value_node, label, ctx)
                low, high = {"max_pages": (1, None), "max_depth": (0, None),
                             "concurrency": (1, MAX_CONCURRENCY)}[key]  # fmt: skip
                if number is None:
                    continue
                if number < low or (high is not None and number > high):
                    bound = f"在 {low} 到 {high} 之间" if high is not None else f"不小于 {low}"
                    self.fail(value_node, f"{label} 应{bound}，实际为 {number}{ctx}")
                else:
                    numbers[key] = number
        if len(self.errors) != before:
            return None
        default = CrawlOptions()
        return CrawlOptions(
            max_pages=numbers.get("max_pages", default.max_pages),
            max_depth=numbers.get("max_depth", default.max_depth),
            delay=default.delay if delay_seconds is None else delay_seconds,
            concurrency=numbers.get("concurrency", default.concurrency),
        )

    # -- across entries -------------------------------------------------------------------

    def cross_check(self, entries: list[_Entry], known_ids: Collection[str]) -> None:
        first: dict[str, _Entry] = {}
        for e in entries:
            if e.id is None:
                continue
            if e.id in first:
                self.fail(
                    e.id_line, f"站点 id {_quote(e.id)} 重复（第 {first[e.id].id_line} 行已定义）"
                )
            else:
                first[e.id] = e
        known = set(first) | set(known_ids)
        for e in entries:
            ctx = e.ctx
            if e.parent is not None:
                value, line = e.parent
                if value == e.id:
                    self.fail(line, f"parent 不能是站点自身 {_quote(value)}{ctx}")
                elif value not in known:
                    self.fail(
                        line,
                        f"上级站点 {_quote(value)} 不存在（本文件和已导入的站点中都没有）{ctx}",
                    )
            for value, line in e.repost_from:
                if value == e.id:
                    self.fail(line, f"repost_from 不能包含站点自身 {_quote(value)}{ctx}")
                elif value not in known:
                    self.fail(
                        line,
                        f"repost_from 中的站点 {_quote(value)} 不存在（本文件和"
                        f"已导入的站点中都没有）{ctx}",
                    )
        self.parent_cycles(first)

    def parent_cycles(self, by_id: dict[str, _Entry]) -> None:
        """Report each parent cycle once, at the parent line of its earliest entry."""
        parent_of = {
            ident: e.parent[0]
            for ident, e in by_id.items()
            if e.parent is not None and e.parent[0] != ident and e.parent[0] in by_id
        }
        order = {ident: n for n, ident in enumerate(by_id)}
        reported: set[frozenset[str]] = set()
        for start in parent_of:
            chain = [start]
            current = parent_of.get(start)
            while current is not None and current not in chain:
                chain.append(current)
                current = parent_of.get(current)
            if current is None:
                continue
            cycle = chain[chain.index(current) :]
            if frozenset(cycle) in reported:
                continue
            reported.add(frozenset(cycle))
            head = min(range(len(cycle)), key=lambda i: order[cycle[i]])
            cycle = cycle[head:] + cycle[:head]
            entry = by_id[cycle[0]]
            assert entry.parent is not None
            loop = " → ".join([*cycle, cycle[0]])
            self.fail(entry.parent[1], f"上级关系成环：{loop}（站点 {cycle[0]}）")


def _url_problem(text: str) -> str | None:
    """Why `text` is not an http(s) URL with a valid host (None when it is one)."""
    if any(ch.isspace() for ch in text):
        return "不能含空白字符"
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "格式无效"
    if parts.scheme.lower() not in ("http", "https"):
        return "应以 http:// 或 https:// 开头"
    if not host:
        return "缺少主机名"
    if not _valid_host(host):
        return f"主机名 {_quote(host)} 无效"
    return None


def _valid_host(host: str) -> bool:
    """A DNS name (internationalised names allowed) or an IP address; no port, no path."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return len(ascii_host) <= 253 and _HOST_RE.fullmatch(ascii_host) is not None
