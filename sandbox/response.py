"""What a sandbox route answers, before the server (and its faults) send it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html"
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0  # seconds to wait before answering (slow pages)


@dataclass
class Request:
    method: str
    path: str  # path only, percent-decoded
    query: dict[str, str]
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, str]:
        """Query and (for POST forms) body parameters together, as Hanweb's proxy reads them."""
        from urllib.parse import parse_qsl

        out = dict(self.query)
        if self.body:
            out.update(parse_qsl(self.body.decode("latin-1"), keep_blank_values=True))
        return out


def html(text: str, *, charset: str, declared: str | None, status: int = 200) -> Response:
    """Encode a page in the site's real charset; Content-Type claims the declared one."""
    body = text.encode(charset, errors="xmlcharrefreplace")
    ctype = f"text/html; charset={declared}" if declared else "text/html"
    return Response(status=status, body=body, content_type=ctype)


def redirect(location: str, status: int = 301) -> Response:
    body = f'<html><body>Moved: <a href="{location}">{location}</a></body></html>'.encode()
    return Response(status=status, body=body, headers=[("Location", location)])


def not_found() -> Response:
    body = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>404 页面不存在</title></head>"
            "<body><h1>404</h1><p>抱歉，您访问的页面不存在或已被删除。</p><a href=\"/\">返回首页</a>"
            "</body></html>").encode()
    return Response(status=404, body=body, content_type="text/html; charset=utf-8")
