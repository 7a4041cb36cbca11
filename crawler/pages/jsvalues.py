"""Simple JavaScript values read from page scripts, without running them.

What a call's arguments hold when a crawler can know them: string, number and
boolean literals, object literals (nested), `JSON.stringify(…)` / `new
URLSearchParams(…)` / `qs.stringify(…)` of one, names the page gives a literal
(`var CAT = 7`, `cfg.sid`), names bound to an object literal (`var params = {…}`),
`+` concatenations (crawler/pages/jsonapi.py's evaluation) and `` `…${name}…` ``
templates. Anything else (a function call, arithmetic, a name never given a
literal) raises `Unreadable`: the caller decides whether it matters. Brackets
are matched with strings and comments skipped, within MAX_CALL_CHARS.
Used by crawler/pages/postapi.py.
"""

from __future__ import annotations

import re

from crawler.pages import jsonapi

MAX_CALL_CHARS = 4000  # a call's arguments; more is a minified bundle, not a call to read
NAME = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
STRING = re.compile(r""""[^"\n]*"|'[^'\n]*'""")
TEMPLATE = re.compile(r"`(?:[^`$\\]|\$\{\s*[A-Za-z_$][\w$.]*\s*\})*`")  # names only inside ${…}
TEMPLATE_PART = re.compile(r"\$\{\s*([A-Za-z_$][\w$.]*)\s*\}")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
OBJECT_ASSIGNMENT = re.compile(r"(?:^|(?<=[\s,{;(]))([A-Za-z_$][\w$]*+)\s*[:=]\s*\{")
MAX_OBJECTS = 200  # object assignments read per page (bounded time on hostile scripts)


class Unreadable(ValueError):
    """A body value that is not a simple literal (a function call, arithmetic …)."""


def form_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def skip(text: str, i: int, end: int) -> int | None:
    """The index after the string or comment starting at text[i]; -1 when it does not end
    before `end`; None when none starts there."""
    ch = text[i]
    if ch in "\"'`":
        j = text.find(ch, i + 1, end)
        while j != -1 and text[j - 1] == "\\":
            j = text.find(ch, j + 1, end)
        return -1 if j == -1 else j + 1
    if ch == "/" and text.startswith("//", i):
        j = text.find("\n", i, end)
        return end if j == -1 else j + 1
    if ch == "/" and text.startswith("/*", i):
        j = text.find("*/", i + 2, end)
        return -1 if j == -1 else j + 2
    return None


def span(text: str, start: int, open_ch: str = "(") -> str | None:
    """The text inside the bracket opening at text[start] (strings, comments and nesting respected)."""
    close = {"(": ")", "{": "}", "[": "]"}
    stack, i, end = [close[open_ch]], start + 1, min(len(text), start + MAX_CALL_CHARS)
    while i < end:
        skipped = skip(text, i, end)
        if skipped is not None:
            if skipped == -1:
                return None
            i = skipped
            continue
        ch = text[i]
        if ch in close:
            stack.append(close[ch])
        elif ch in ")}]":
            if ch != stack.pop():
                return None
            if not stack:
                return text[start + 1:i]
        i += 1
    return None


def split_top(inner: str) -> list[str]:
    """Top-level comma-separated parts of an argument list or object literal, comments left out."""
    parts, depth, cur, i, end = [], 0, [], 0, len(inner)
    while i < end:
        skipped = skip(inner, i, end)
        if skipped is not None:
            skipped = end if skipped == -1 else skipped
            if inner[i] in "\"'`":
                cur.append(inner[i:skipped])
            i = skipped
            continue
        ch = inner[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def object_members(inner: str, values: dict) -> dict:
    """An object literal's members; values that are not simple raise Unreadable lazily
    (kept as Unreadable instances, so options like success: function… do not spoil a call)."""
    out = {}
    for part in split_top(inner):
        m = re.match(r"""^(?:["']([^"']+)["']|([A-Za-z_$][\w$]*))\s*:\s*(.*)$""", part, re.S)
        if not m:
            continue
        key = m.group(1) or m.group(2)
        try:
            out[key] = value(m.group(3).strip(), values)
        except Unreadable as exc:
            out[key] = exc
    return out


def value(expr: str, values: dict):
    """A simple JavaScript value: string, number, boolean, object literal, JSON.stringify
    of one, a name the page assigns, or a `+` concatenation of those."""
    if expr.startswith("[") and expr.endswith("]"):  # an array of simple values
        return [value(part, values) for part in split_top(expr[1:-1])]
    if expr.startswith("{") and expr.endswith("}"):
        return object_members(expr[1:-1], values)
    for call, body in ENCODERS:  # an object encoded for a request body: JSON or a form
        m = call.match(expr)
        if m:
            inner = value(m.group(1).strip(), values)
            if not isinstance(inner, dict):
                raise Unreadable(expr)
            return body(inner)
    if expr in ("true", "false"):
        return expr == "true"
    if expr == "null":
        return None
    if NUMBER.fullmatch(expr):
        return int(expr) if "." not in expr else float(expr)
    if STRING.fullmatch(expr):
        return expr[1:-1]
    if TEMPLATE.fullmatch(expr):  # `/api/${CAT}/list?page=${page}`
        return TEMPLATE_PART.sub(lambda m: form_value(template_value(m.group(1), values)), expr[1:-1])
    if NAME.fullmatch(expr):
        short = expr.rsplit(".", 1)[-1]
        if isinstance(values.get(short), ObjectSource):  # var params = {…}; a name never expands into itself
            return object_members(values[short], {k: v for k, v in values.items() if k != short})
        if short in values:
            return values[short]
        raise UnknownName(short)
    if jsonapi.CONCAT.fullmatch(expr):
        text = jsonapi._evaluate(expr, {k: form_value(v) for k, v in values.items()})
        if text is not None:
            return text
    raise Unreadable(expr)


def template_value(name: str, values: dict):
    try:
        return value(name, values)
    except UnknownName:
        if jsonapi.PAGE_VAR.match(name.rsplit(".", 1)[-1]):
            return 1  # the page a loader is first called with
        raise


class UnknownName(Unreadable):
    """A name the page never gives a literal (a function parameter: maybe the page number)."""


class JsonBody(dict):
    """A JSON.stringify(…) body."""


class FormBody(dict):
    """A URLSearchParams / qs.stringify body: a form."""


# Calls that encode an object as a request body, and what the body then is.
ENCODERS = (
    (re.compile(r"^JSON\.stringify\s*\((.*)\)$", re.S), JsonBody),
    (re.compile(r"^(?:new\s+URLSearchParams|(?:Qs|qs|\$)\.(?:stringify|param))\s*\((.*)\)$", re.S), FormBody),
)


class ObjectSource(str):
    """The text inside an object literal a name is given (`var params = {…}`), read when used."""


def page_values(scripts: str) -> dict:
    """The literal each name is first given on the page (numbers as numbers), and the
    object literals names are given (`var params = {pageNo: 1}`, Vue's `queryParams: {…}`)."""
    out: dict = {}
    for m in jsonapi.ASSIGNMENT.finditer(scripts):
        out.setdefault(m.group(1), int(m.group(4)) if m.group(4) is not None else (m.group(2) or m.group(3) or ""))
    for i, m in enumerate(OBJECT_ASSIGNMENT.finditer(scripts)):
        if i >= MAX_OBJECTS:
            break
        inner = span(scripts, m.end() - 1, "{")
        if inner is not None:
            out.setdefault(m.group(1), ObjectSource(inner))
    return out


