"""Transport faults the server injects, per site and path or at random with a seed.

    faults = FaultTable(seed=3)
    faults.add("henan-zhengzhou", "/col/", "status", status=503, times=2)  # a burst of two 503s
    faults.add("*", "/api/list", "drip", seconds=0.2)                       # every site's API drips
    faults.randomly(rate=0.05, kinds=("status", "reset", "truncate"))       # seeded noise
    sandbox.server.start(faults=faults)

Kinds (params):
  slow          wait `seconds`, then answer normally
  status        answer `status` (500/502/503) instead of the page
  timeout       accept, wait `seconds` (default 30), close without a byte
  drip          send the page a few bytes at a time, `seconds` between chunks
  reset         close the connection with a TCP reset before answering
  truncate      promise the full Content-Length, send half the body, close
  redirect_loop 302 to the same path with ?loop=N+1, for ever
  oversize      answer `size` bytes (default 64 MiB) of filler HTML
  wrong_type    send the page with Content-Type `content_type` (default application/octet-stream)
  charset_flip  re-encode an HTML page in the other charset (GBK <-> UTF-8), headers unchanged
  calendar_trap an endless 上一天/下一天 calendar under /calendar/ (linked from the home page)
  xss           <script> in <title> and the article heading, <img onerror> in table cells
  malformed_table  drop every </td> and </tr> and open a stray <table> (browsers cope)

A rule fires `times` times (None: always). Paths match by prefix; "*" matches any.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

KINDS = ("slow", "status", "timeout", "drip", "reset", "truncate", "redirect_loop", "oversize",
         "wrong_type", "charset_flip", "calendar_trap", "xss", "malformed_table")
# Faults a random plan may draw: the ones that end (no trap, no endless loop).
RANDOM_KINDS = ("status", "reset", "truncate", "slow", "wrong_type")


@dataclass
class Fault:
    kind: str
    site: str = "*"
    path: str = "*"
    times: int | None = None
    status: int = 503
    seconds: float = 0.0
    size: int = 64 * 1024 * 1024
    content_type: str = "application/octet-stream"
    fired: int = field(default=0, compare=False)

    def matches(self, site: str, path: str) -> bool:
        return (self.site in ("*", site)) and (self.path == "*" or path.startswith(self.path))

    @property
    def spent(self) -> bool:
        return self.times is not None and self.fired >= self.times


class FaultTable:
    def __init__(self, seed: int = 0):
        self.seed = seed
        self.rules: list[Fault] = []
        self.rate = 0.0
        self.random_kinds: tuple[str, ...] = RANDOM_KINDS
        self._seen: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def add(self, site: str, path: str, kind: str, **params) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
        rule = Fault(kind=kind, site=site, path=path, **params)
        self.rules.append(rule)
        return rule

    def randomly(self, rate: float, kinds: tuple[str, ...] = RANDOM_KINDS) -> None:
        """Fire a random fault on about `rate` of requests, decided by (seed, site, path, nth visit)."""
        self.rate, self.random_kinds = rate, tuple(kinds)

    def site_has(self, site: str, kind: str) -> bool:
        return any(r.kind == kind and r.site in ("*", site) for r in self.rules)

    def pick(self, site: str, path: str) -> Fault | None:
        """The fault for this request, if any (consumes one firing of a counted rule)."""
        with self._lock:
            for rule in self.rules:
                if rule.kind == "calendar_trap" or rule.spent or not rule.matches(site, path):
                    continue
                rule.fired += 1
                return rule
            if self.rate <= 0:
                return None
            n = self._seen.get((site, path), 0)
            self._seen[(site, path)] = n + 1
        digest = hashlib.sha256(f"{self.seed}:{site}:{path}:{n}".encode()).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 >= self.rate:
            return None
        kind = self.random_kinds[digest[8] % len(self.random_kinds)]
        return Fault(kind=kind, site=site, path=path, status=(500, 502, 503)[digest[9] % 3], seconds=1.0)
