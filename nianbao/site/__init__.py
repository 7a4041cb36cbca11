"""The publication layer: the Datasette site that publishes an archive.

- app.py: `make_datasette` (the immutable file, settings, cached counts and facets),
  used by `nianbao serve`;
- plugin.py: the Datasette plugin (report and cell pages, chart, snapshots, short
  searches), registered through the `datasette` entry point in pyproject.toml;
- metadata.yml, templates/: titles, descriptions, canned queries and page templates.

All of it ships in the wheel as package data.
"""
