"""Build the Datasette instance that serves one archive file, immutable (used by `nianbao
serve` through publish.py, the tests and benchmarks/archive_latency.py).

Datasette is used through its public interfaces only:
- the file is one of Datasette's `immutables`, named after the working archive;
- its table counts, size and hash are Datasette's *inspect data* (the format of
  `datasette inspect`, see counts.py): computed once per published copy from the
  counts the archive's triggers keep (`row_counts`, archive/schema.py), so the home
  and database pages and every unfiltered table count cost the same at 10k and 1M;
- the facets metadata.yml names are served by the plugin's facet class `counted`
  (plugin.py, registered with `register_facet_classes`): stored counts when the rows
  are the whole table, else one GROUP BY pass for all of a page's facets;
- SQL limits, the authorizer and the bounds on exports are plugin hooks (limits.py).

metadata.yml, templates/ and plugin.py of this package shape the pages; the plugin is
registered by the `datasette` entry point of the installed package.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import yaml

from archive.store import check_archive_file

from . import counts, facets, labelled, limits, plugin, responses

HERE = Path(__file__).resolve().parent
METADATA = HERE / "metadata.yml"
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
# The plugin modules by their entry point names in pyproject.toml ([project.entry-points.datasette]).
PLUGINS = {"nianbao": plugin, "nianbao_facets": facets, "nianbao_limits": limits,
           "nianbao_responses": responses, "nianbao_labelled": labelled}
SETTINGS = {
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 1000,
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "allow_download": False,  # the archive can be large; SQL and JSON suffice
    "suggest_facets": False,  # suggestion queries scan every column of a million rows
    "max_csv_mb": 200,  # a streamed CSV of every matching row (`_stream=on`) stops here
}
WARM_LIMIT_MS = 60 * 60 * 1000  # start-up work may take long on a huge file; pages may not


def load_metadata(database_name: str) -> dict:
    """metadata.yml with its placeholder database key renamed to the served database's name,
    and each facet it names served by the plugin's `counted` facet class."""
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    dbs = metadata.get("databases") or {}
    if "archive" in dbs:
        dbs[database_name] = dbs.pop("archive")
    for db in dbs.values():
        for conf in ((db or {}).get("tables") or {}).values():
            if conf and conf.get("facets"):
                conf["facets"] = [{facets.CountedFacet.type: f} if isinstance(f, str) else f
                                  for f in conf["facets"]]
    return metadata


def register_plugin() -> None:
    """The plugins are registered by their entry points when nianbao is installed; a
    checkout run without installing (PYTHONPATH=.) registers them here, once."""
    from datasette.plugins import pm

    for name, module in PLUGINS.items():
        if not pm.is_registered(module) and pm.get_plugin(name) is None:
            pm.register(module, name=name)


def read_inspect(path: Path, name: str) -> dict:
    """The copy's inspect data written by publish.py next to it, else computed now."""
    stored = path.with_name(counts.INSPECT_FILE)
    if stored.is_file():
        data = json.loads(stored.read_text(encoding="utf-8"))
        (entry,) = data.values()
        if Path(entry["file"]).name == path.name:
            return {name: dict(entry, file=str(path))}
    return {name: counts.inspect_archive(path)}


def make_datasette(path: str | Path, *, plain: bool = False, secret: str | None = None, **settings):
    """A Datasette serving one archive file immutably under its stem (publish.py's copies
    keep the working archive's file name); raises ArchiveError for a non-archive. plain=True: no inspect data and plain column
    facets (every count computed per request), for the benchmark's comparison."""
    from datasette.app import Datasette

    path = check_archive_file(path)
    name = path.stem
    register_plugin()
    metadata = load_metadata(name)
    if plain:
        for db in metadata["databases"].values():
            for conf in (db.get("tables") or {}).values():
                if conf and conf.get("facets"):
                    conf["facets"] = [next(iter(f.values())) if isinstance(f, dict) else f for f in conf["facets"]]
    return Datasette(
        immutables=[str(path)],
        metadata=metadata,
        template_dir=str(TEMPLATES),
        static_mounts=[("nianbao-static", str(STATIC))] if STATIC.is_dir() else [],
        inspect_data=None if plain else read_inspect(path, name),
        settings={**SETTINGS, **settings},
        secret=secret,
    )


def archive_databases(ds):
    return [db for db in ds.databases.values() if db.name != "_internal" and not db.is_memory]


async def warm_site(ds) -> dict[str, float]:
    """Do now what the first visitors would otherwise wait for: the connections, the stored
    facet counts and the default pages of each faceted table. Returns seconds per step."""
    timings = {}
    start = time.perf_counter()
    await ds.invoke_startup()
    for db in archive_databases(ds):
        await db.table_counts(limit=WARM_LIMIT_MS)  # from inspect data: no query
        timings["table_counts"] = time.perf_counter() - start
        start = time.perf_counter()
        tables = (ds.metadata("tables", database=db.name) or {})
        paths = ["/", f"/{db.route}"] + [f"/{db.route}/{t}" for t, conf in tables.items()
                                         if conf and conf.get("facets") and t in await db.table_names()]
        for p in paths:
            await ds.client.get(p)
        timings["default_pages"] = time.perf_counter() - start
    return timings


def warm_site_sync(ds) -> dict[str, float]:
    return asyncio.run(warm_site(ds))
