"""Whole responses kept for repeated requests (a Datasette plugin, `asgi_wrapper`, registered by
the `nianbao_responses` entry point).

Each Datasette serves one published copy that never changes (publish.py), so the same
GET of the same URL always has the same answer: pages the visitors ask again — the
home page, a report, the first page of a table — are sent from memory instead of being
queried and rendered again (profiled on a 311-report archive, 2 cores: rendering and
permission checks took most of the ~25 ms a page costs; 20 clients queued behind
each other). The cache lives and dies with the Datasette of its copy: a newly
published copy starts empty.

Not kept: anything but a 200; a response that sets a cookie; a request that carries
cookies (a signed-in actor, messages); SQL typed by the visitor (`sql`, `_where`: it
may call random()); CSV (streamed) and `_trace`; answers over ENTRY_BYTES. At most
CACHE_BYTES in all, least recently used first out.
"""

from __future__ import annotations

import urllib.parse
import weakref
from collections import OrderedDict

from datasette import hookimpl

CACHE_BYTES = 64 * 1024 * 1024
ENTRY_BYTES = 1024 * 1024
VOLATILE_ARGS = {"sql", "_where", "_stream", "_trace", "_next"}
HEADER = b"x-nianbao-cache"
_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Datasette -> its ResponseCaches


def cacheable(scope) -> bool:
    if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
        return False
    if scope.get("path", "").endswith(".csv") or any(k == b"cookie" for k, _ in scope.get("headers", [])):
        return False
    args = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return not (VOLATILE_ARGS & args.keys() or "csv" in args.get("_format", ()))


class ResponseCache:
    def __init__(self, limit: int = CACHE_BYTES):
        self.entries: OrderedDict = OrderedDict()
        self.size = 0
        self.limit = limit

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0

    def get(self, key):
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key, entry) -> None:
        if key in self.entries:
            return
        self.entries[key] = entry
        self.size += len(entry[2])
        while self.size > self.limit and self.entries:
            _, old = self.entries.popitem(last=False)
            self.size -= len(old[2])


def clear_caches(datasette) -> None:
    """Forget every kept response of this Datasette (benchmarks measure pages nobody asked before)."""
    for cache in _caches.get(datasette, ()):
        cache.clear()


# Called last, so its wrapper is the outermost: a kept answer is sent before the site's
# own wrapper (plugin.py) rewrites or counts anything (a search's count in its index).
@hookimpl(trylast=True)
def asgi_wrapper(datasette):
    def wrap(app):
        cache = ResponseCache()
        _caches.setdefault(datasette, []).append(cache)

        async def cached(scope, receive, send):
            if not cacheable(scope):
                return await app(scope, receive, send)
            headers = dict(scope.get("headers", []))
            key = (scope["method"], scope.get("scheme"), scope["path"], scope.get("query_string", b""),
                   headers.get(b"host"))  # pages hold absolute URLs (facet links)
            entry = cache.get(key)
            if entry is not None:
                status, response_headers, body = entry
                await send({"type": "http.response.start", "status": status,
                            "headers": [*response_headers, (HEADER, b"hit")]})
                await send({"type": "http.response.body", "body": body})
                return None
            started, chunks, keep = {}, [], [True]

            async def recording_send(message):
                if message["type"] == "http.response.start":
                    started.update(message)
                    message = dict(message, headers=[*message.get("headers", []), (HEADER, b"miss")])
                    keep[0] = message["status"] == 200 and not any(
                        k.lower() == b"set-cookie" for k, _ in started.get("headers", []))
                elif message["type"] == "http.response.body" and keep[0]:
                    chunks.append(message.get("body", b""))
                    keep[0] = sum(map(len, chunks)) <= ENTRY_BYTES
                    if keep[0] and not message.get("more_body"):
                        cache.put(key, (started["status"], list(started.get("headers", [])), b"".join(chunks)))
                await send(message)

            return await app(scope, receive, recording_send)

        return cached

    return wrap
