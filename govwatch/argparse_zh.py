"""argparse speaking Chinese: usage lines, help headings and error messages.

argparse builds its own texts through `gettext` (module globals `argparse._` and
`argparse.ngettext`) without shipping a Chinese catalogue. `ChineseArgumentParser` swaps in
the translations below only while one of its own methods runs (construction, parsing, help,
errors), so other users of argparse in the same process are unaffected. Subparsers inherit the
class (argparse creates them with `type(parent)`). Messages not listed stay in English.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

MESSAGES = {
    "usage: ": "用法: ",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s: 错误: %(message)s\n",
    "the following arguments are required: %s": "缺少必需的参数: %s",
    "unrecognized arguments: %s": "无法识别的参数: %s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "无效的取值 %(value)r（可选: %(choices)s）",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s: %(message)s",
    "expected one argument": "需要一个值",
    "expected at least one argument": "至少需要一个值",
    "expected at most one argument": "最多只能有一个值",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的 %(type)s 值",
    "ambiguous option: %(option)s could match %(matches)s":
        "选项 %(option)s 有歧义，可能是 %(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "参数 %s 至少需要给出一个",
    "ignored explicit argument %r": "忽略了多余的值 %r",
    "can't open '%(filename)s': %(error)s": "无法打开 '%(filename)s': %(error)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)":
        "未知的子命令 %(parser_name)r（可选: %(choices)s）",
}
PLURALS = {
    "expected %s argument": "需要 %s 个值",
    "expected %s arguments": "需要 %s 个值",
}

_lock = threading.RLock()


def _gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    chosen = singular if n == 1 else plural
    return PLURALS.get(chosen, chosen)


@contextmanager
def chinese() -> Iterator[None]:
    """argparse's own texts in Chinese for the duration of the block (re-entrant)."""
    with _lock:
        saved = (argparse._, argparse.ngettext)  # type: ignore[attr-defined]
        argparse._ = _gettext  # type: ignore[attr-defined]
        argparse.ngettext = _ngettext  # type: ignore[attr-defined]
        try:
            yield
        finally:
            argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage, help headings and errors are in Chinese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with chinese():
            super().__init__(*args, **kwargs)

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None
                         ) -> tuple[argparse.Namespace, list[str]]:
        with chinese():
            return super().parse_known_args(args, namespace)

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        with chinese():
            return super().parse_args(args, namespace)

    def format_usage(self) -> str:
        with chinese():
            return super().format_usage()

    def format_help(self) -> str:
        with chinese():
            return super().format_help()

    def add_subparsers(self, **kwargs: Any) -> Any:
        with chinese():
            return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        with chinese():
            super().error(message)
