"""`pip install nianbao` from a wheel (not editable) gives a working `nianbao serve` from any
folder (issue 13 §1): the wheel is built, holds only the project's packages and their data
(metadata, templates), registers the site's plugins through Datasette's entry point, and
installed into a fresh venv serves an archive from another folder; pages are checked in
headless Chromium. Slow (~2-3 minutes: the venv installs the dependencies from the
configured package index)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.archive_fixtures import ZMD, build_demo_archive
from tests.reliability.site import CHROMIUM, chromium, free_port, get

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"archive", "crawler", "nianbao", "parsers", "sandbox"}
SITE_DATA = {"nianbao/site/metadata.yml", "nianbao/site/templates/index.html", "nianbao/site/templates/row.html",
             "nianbao/site/templates/nianbao_chart.html"}
PLUGINS = {"nianbao = nianbao.site.plugin", "nianbao_facets = nianbao.site.facets",
           "nianbao_limits = nianbao.site.limits", "nianbao_responses = nianbao.site.responses",
           "nianbao_labelled = nianbao.site.labelled"}


def run(cmd, **kw):
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
    assert done.returncode == 0, (cmd, done.stdout[-2000:], done.stderr[-3000:])
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # from a copy of the checkout's files (as git knows them): setuptools' build/ folder in the
    # checkout would otherwise carry files of an earlier build into this wheel
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("dist")
    files = run(["git", "ls-files", "-z"], cwd=ROOT).stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)])
    (whl,) = out.glob("nianbao-*.whl")
    return whl


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    venv = tmp_path_factory.mktemp("venv")
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", str(venv)])
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], env=env)
    return venv, env


def test_the_wheel_holds_the_packages_and_the_site_data_only(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        top = {n.split("/")[0] for n in names}
        entry_points = z.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert top - {n for n in top if n.endswith(".dist-info")} == PACKAGES
    assert SITE_DATA <= set(names)
    assert not [n for n in names if "nianbao-demo" in n or n.startswith(("tests/", "benchmarks/", "docs/"))]
    datasette = entry_points.split("[datasette]")[1].split("[")[0]
    assert {line.strip() for line in datasette.strip().splitlines()} == PLUGINS


def test_the_installed_site_serves_from_another_folder(installed, tmp_path):
    venv, env = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    db = tmp_path / "archive" / "demo.db"
    db.parent.mkdir()
    build_demo_archive(db)
    where = run([str(venv / "bin" / "python"), "-c", "import nianbao.site.app as a; print(a.__file__)"],
                cwd=elsewhere, env=env).stdout.strip()
    assert where.startswith(str(venv)), where  # the wheel's copy, not this checkout
    port = free_port()
    proc = subprocess.Popen([str(venv / "bin" / "nianbao"), "serve", "--db", str(db), "--port", str(port)],
                            cwd=elsewhere, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        import time

        for _ in range(600):
            try:
                if get(base + "/-/versions.json", timeout=2)[0] == 200:
                    break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(proc.stdout.read())
                time.sleep(0.1)
        status, plugins, _ = get(base + "/-/plugins.json")
        hooks = {h for p in json.loads(plugins) if p["name"] == "nianbao" for h in p["hooks"]}
        assert status == 200 and {"extra_template_vars", "register_routes", "register_facet_classes",
                                  "prepare_connection", "handle_exception", "asgi_wrapper"} <= hooks, plugins
        status, home, _ = get(base + "/")
        assert status == 200 and "年报 nianbao — 政府信息公开工作年度报告 archive" in home
        status, csv, _ = get(base + "/demo/reports.csv")
        assert status == 200 and csv.count("\n") == 5  # header + 4 reports
        if CHROMIUM is None:
            pytest.skip("chromium not installed (apt-get install chromium)")
        profile = tmp_path / "profile"
        dom = chromium(profile, "--dump-dom", base + f"/demo/reports/{ZMD}-2021")
        assert '<td id="applications-granted-total" class="value failed"' in dom  # the plugin's printed tables
        dom = chromium(profile, "--dump-dom", base + "/demo/reports?_sort=year")
        assert "4 rows" in dom and 'data-column="province"' in dom  # metadata facets
        dom = chromium(profile, "--dump-dom", base + "/")
        assert "Start here 入口" in dom  # the package's templates
    finally:
        proc.terminate()
        proc.wait(timeout=30)
