"""Concurrent clients on the published site for a bounded time on loopback: no errors, a
generous p95 bound (the measured figures go to docs/reliability.md, not into assertions)."""

from __future__ import annotations

from tests.reliability import site


def test_load_on_loopback(hostile_archive, hostile_site):
    r = site.run_load(hostile_site[0], site.load_paths(hostile_archive), clients=8, seconds=10)
    assert r["requests"] > 50, r
    assert r["errors"] == 0 and r["error_rate"] == 0.0, r["error_examples"]
    assert r["p95_ms"] < 5000
