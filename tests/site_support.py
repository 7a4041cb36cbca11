"""Requests to an in-process Datasette (datasette.client) for the site's tests."""

from __future__ import annotations

import asyncio


def get(ds, path):
    """The response to a GET of `path`, which must answer 200."""

    async def go():
        return await ds.client.get(path)

    response = asyncio.run(go())
    assert response.status_code == 200, (path, response.text[:300])
    return response
