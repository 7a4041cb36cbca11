"""`.labelled`: any table, view, row or query as JSON with the Chinese labels beside the keys.

Datasette's `.json` carries the keys a user's code joins on (`applications`, `granted`,
`failed` …). The same page with `.labelled` (a Datasette output renderer: links to it
appear beside "json" and "CSV") carries them too, and beside each labelled key its
Chinese label (`row_key_zh`), and for each column its Chinese label from metadata.yml
(`column_labels`). The labels come from archive/labels.py, the one source the pages,
the exports and the `labels` table also use.
"""

from __future__ import annotations

import json

from datasette import Response, hookimpl

from archive import labels as L

# Columns holding a key that has a Chinese label: column -> (labels kind, column naming its table)
LABELLED = {
    "table_name": ("table", None), "row_key": ("row", "table_name"), "column_key": ("column", "table_name"),
    "rule": ("rule", None), "status": ("status", None), "check_status": ("status", None),
    "level": ("level", None), "format": ("format", None), "part": ("part", None),
}
SUFFIX = "_zh"


def key_label(column: str, value, row: dict) -> str | None:
    """The Chinese label of `value` in `column`, or None (not a labelled column, an
    unknown key)."""
    if column not in LABELLED or not isinstance(value, str):
        return None
    kind, table_column = LABELLED[column]
    zh = L.zh(kind, value, row.get(table_column) or "" if table_column else "")
    if zh is None and kind == "status":
        zh = L.zh("coverage", value)
    return zh


def labelled_rows(columns: list[str], rows) -> list[dict]:
    out = []
    for row in rows:
        item = dict(zip(columns, row, strict=False)) if not isinstance(row, dict) else dict(row)
        for column in columns:
            if column in LABELLED:
                item[column + SUFFIX] = key_label(column, item.get(column), item)
        out.append(item)
    return out


def render(datasette, columns, rows, data, request, database, table):
    from .plugin import column_labels  # the column labels of metadata.yml, as the pages show them

    names = column_labels(datasette.metadata())
    body = {
        "database": database,
        "table": table,
        "columns": columns,
        "column_labels": {c: names.get(c) for c in columns},
        "rows": labelled_rows(columns, [tuple(r) for r in rows]),
    }
    for key in ("filtered_table_rows_count", "next", "next_url", "human_description_en"):
        if isinstance(data, dict) and key in data:
            body[key] = data[key]
    if isinstance(body.get("next_url"), str):
        body["next_url"] = body["next_url"].replace(".json?", ".labelled?")
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=200,
                    content_type="application/json; charset=utf-8")


@hookimpl
def register_output_renderer(datasette):
    return {"extension": "labelled", "render": render}
