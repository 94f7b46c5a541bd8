"""HTML that inline scripts write into the page.

Many government templates emit their footer, or only the 党政机关 badge, from JavaScript:
`document.write(unescape("%3Cspan id='_ideConac'%3E..."))`, `$(".foot").html(...)`, or a
variable holding `'<div class="copyright">' + '...粤公网安备' + ' 44010402001160号...'`. A
visitor sees that markup, so the extraction must read it too. We do not run JavaScript: we take
string literals joined only by `+` (a constant expression), decode `unescape(...)` arguments,
and keep the results that look like markup. Concatenations with variables are cut at the
variable, which loses nothing we look for in practice (the identifiers are constants).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

# One JavaScript string literal; literals cannot span lines (bar `\` continuations), which
# also confines a stray quote from a regex literal or a comment to its line.
_LITERAL = re.compile(r""""((?:[^"\\\r\n]|\\.)*)"|'((?:[^'\\\r\n]|\\.)*)'""", re.DOTALL)
_JOIN = re.compile(r"\s*\+\s*")
_UNESCAPE_CALL = re.compile(r"(?:unescape|decodeURIComponent|decodeURI)\s*\(\s*$")
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_PERCENT_U = re.compile(r"%u([0-9a-fA-F]{4})")
_MARKUP = re.compile(r"<[A-Za-z!/]")
# Script types whose body is markup rather than code (client-side templates).
_TEMPLATE_TYPES = frozenset({"text/html", "text/template", "text/x-template", "text/x-tmpl"})


def _unescape_literal(body: str) -> str:
    def replace(match: re.Match[str]) -> str:
        esc = match.group(1)
        if esc.startswith("u{"):
            return _chr(int(esc[2:-1], 16))
        if esc[0] in "ux" and len(esc) > 1:
            return _chr(int(esc[1:], 16))
        if esc in ("\n", "\r\n", "\r"):
            return ""  # line continuation
        return _SIMPLE_ESCAPES.get(esc, esc)

    return _ESCAPE.sub(replace, body)


def _chr(code: int) -> str:
    try:
        return chr(code)
    except (ValueError, OverflowError):
        return "\ufffd"


def js_unescape(value: str) -> str:
    """JavaScript's unescape(): %XX and %uXXXX."""
    value = _PERCENT_U.sub(lambda m: _chr(int(m.group(1), 16)), value)
    return unquote(value, errors="replace")


def _constant_strings(script: str) -> list[str]:
    """Values of the constant string expressions in a script, in order."""
    values: list[str] = []
    current: list[str] = []
    last_end = -1
    for match in _LITERAL.finditer(script):
        raw = match.group(1) if match.group(1) is not None else match.group(2)
        value = _unescape_literal(raw or "")
        if _UNESCAPE_CALL.search(script, max(0, match.start() - 40), match.start()):
            value = js_unescape(value)
        if current and _JOIN.fullmatch(script, last_end, match.start()):
            current.append(value)
        else:
            if current:
                values.append("".join(current))
            current = [value]
        last_end = match.end()
    if current:
        values.append("".join(current))
    return values


def script_markup(script: str, script_type: str = "") -> list[str]:
    """Markup fragments an inline script carries (see the module docstring)."""
    if script_type.strip().lower() in _TEMPLATE_TYPES:
        return [script] if _MARKUP.search(script) else []
    lowered = script.lower()
    if (
        "<" not in script
        and "%3c" not in lowered
        and "\\x3c" not in lowered
        and ("\\u003c" not in lowered)
    ):
        return []  # no markup can come out of it (analytics snippets, data blobs)
    return [value for value in _constant_strings(script) if _MARKUP.search(value)]
