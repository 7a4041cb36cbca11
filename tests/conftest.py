"""Session fixtures shared by the reliability and security tests (tests/reliability/)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def hostile_archive(tmp_path_factory):
    """云南's portal crawled with xss/malformed-table faults, plus a report with stored payloads."""
    from tests.reliability.site import build_hostile_archive

    return build_hostile_archive(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="session")
def hostile_site(hostile_archive):
    """`nianbao serve` of the hostile archive: its base URL."""
    from tests.reliability.site import served

    with served(hostile_archive["db"]) as (base, proc):
        yield base, proc
