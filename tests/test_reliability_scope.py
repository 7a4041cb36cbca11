"""A crawl never fetches or publishes what lies outside its scope (issue 12, item 2;
the scenarios are tests/reliability/scope.py; ~25 s).

- Every kind of redirect to another host (301/302/303/307/308, meta refresh, an
  in-scope hop then out, an attachment) is refused before it is fetched: the
  internal service sees no request, fetch_log names each, no byte of it is archived.
- A page sent with 5 MB of headers is archived with its headers cut and the cut noted.
- A user's real crawl (default settings) refuses a loopback site named by its IP or
  by a name resolving to it, robots.txt included: its server sees no request.
"""

from __future__ import annotations

import json

import pytest

from archive.store import MAX_HEADERS_CHARS, MAX_STORED_HEADERS
from crawler.scope import address_kind
from tests.reliability.scope import KINDS, headers_cut, run_private, run_redirects


@pytest.fixture(scope="module")
def redirects(tmp_path_factory):
    return run_redirects(tmp_path_factory.mktemp("scope"))


def test_redirects_out_of_scope_are_refused(redirects):
    r = redirects
    assert r["returncode"] == 0, r["stderr"][-3000:]
    assert "Traceback" not in r["stderr"]
    assert r["internal_hits"] == [], "the internal service was asked"
    site, internal = r["site"], r["internal"]
    for path in KINDS:
        outcome, reason = r["redirects"][path]
        assert outcome == "skipped", (path, outcome, reason)
        assert reason.startswith(f"out of scope: {internal.url('/secret')}"), reason
        assert reason.endswith(f" is not zhengzhou of this crawl, reached from {site.url(path)}"), reason
    assert not r["secret_archived"]
    assert r["reports"] == r["good_urls"]


def test_stored_headers_are_capped_and_the_cut_noted(redirects):
    for table, stored in redirects["headers_stored"].items():
        headers = json.loads(stored)
        kept, received, note = headers_cut(stored)
        assert len(stored) < MAX_HEADERS_CHARS + 2000, table
        assert kept == len(headers) - 1 <= MAX_STORED_HEADERS and received >= redirects["headers_sent"], note
        assert headers["content-type"].startswith("text/html")
    assert redirects["archive_bytes"] < 2 * 2**20


def test_a_real_crawl_refuses_loopback_by_literal_ip_and_by_resolved_name(tmp_path):
    r = run_private(tmp_path)
    assert r["returncode"] == 0, r["stderr"][-3000:]
    assert "Traceback" not in r["stderr"]
    assert r["hits"] == {"127.0.0.1": [], "localhost (127.0.0.1)": []}, "robots.txt or a page was fetched"
    for shown, logged in r["logged"].items():
        web = r["webs"][shown]
        for path, row in logged.items():
            assert row == ("skipped", f"refused: {shown} is a loopback address, not the public web "
                                      f"({web.url(path)})")
    assert r["snapshots"] == 0
    assert set(r["statuses"]) == {"zhengzhou", "luoyang"} and "ok" not in r["statuses"].values()


@pytest.mark.parametrize("ip, kind", [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"), ("fc00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("224.0.0.1", "multicast"),
    ("240.0.0.1", "reserved"), ("0.0.0.0", "unspecified"), ("100.64.0.1", "not global"),
    ("8.8.8.8", None), ("202.108.22.5", None), ("2001:4860:4860::8888", None), ("[2400:da00::6666]", None),
])
def test_address_kinds(ip, kind):
    assert address_kind(ip) == kind
