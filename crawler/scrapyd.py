"""Run a province's crawl as scrapyd jobs on several machines: one job per site partition.

Politeness (AutoThrottle, download delay, requests per domain) is per Scrapy
process, so two processes crawling one site would double its load. Partitions
are therefore sets of whole sites, and sites whose scopes overlap (one site's
hosts inside another's domains) always share a partition: no two jobs ever
fetch from the same host. Each job writes its own shard archive
(`<shards>/<province>-<partition>.db`); `nianbao merge` folds them into one.

The scrapyd JSON API is spoken with the standard library (no extra client
dependency on the machine that schedules).
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field

from crawler.registry import Site

PROJECT = "nianbao"
SPIDER = "reports"
# Scrapy's LogStats line, the only progress a job's log carries: "Crawled 40 pages (...), scraped 12 items (...)".
_LOGSTATS = re.compile(r"Crawled (\d+) pages .*?scraped (\d+) items")
_CLOSED = re.compile(r"Spider closed \(([^)]+)\)")


class ScrapydError(Exception):
    """A scrapyd server is unreachable or refused a call (one-line reason)."""


class Scrapyd:
    def __init__(self, url: str, timeout: float = 30.0):
        url = url.strip()
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ScrapydError(f"{url!r} is not an http(s) URL of a scrapyd server")
        self.url = url.rstrip("/") + "/"
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Scrapyd({self.url!r})"

    def _open(self, request: urllib.request.Request) -> bytes:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            raise ScrapydError(f"scrapyd at {self.url} answered HTTP {exc.code} to {request.full_url}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ScrapydError(f"cannot reach scrapyd at {self.url}: {reason}") from None

    def call(self, endpoint: str, fields: list[tuple[str, str]] | None = None, *, egg: bytes | None = None,
             method: str | None = None) -> dict:
        url = self.url + endpoint
        data, headers = None, {}
        if egg is not None:
            data, headers["Content-Type"] = _multipart(fields or [], egg)
        elif method == "POST":
            data = urllib.parse.urlencode(fields or []).encode()
        elif fields:
            url += "?" + urllib.parse.urlencode(fields)
        raw = self._open(urllib.request.Request(url, data=data, headers=headers, method=method))
        try:
            answer = json.loads(raw)
        except ValueError:
            raise ScrapydError(f"{url} did not answer JSON (is it a scrapyd server?)") from None
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            message = answer.get("message", answer) if isinstance(answer, dict) else answer
            raise ScrapydError(f"scrapyd at {self.url} refused {endpoint}: {str(message).strip()[:300]}")
        return answer

    def status(self) -> dict:
        return self.call("daemonstatus.json")

    def add_version(self, project: str, version: str, egg: bytes) -> dict:
        return self.call("addversion.json", [("project", project), ("version", version)], egg=egg, method="POST")

    def spiders(self, project: str) -> list[str]:
        return self.call("listspiders.json", [("project", project)])["spiders"]

    def projects(self) -> list[str]:
        return self.call("listprojects.json")["projects"]

    def schedule(self, project: str, spider: str, *, jobid: str, args: dict[str, str],
                 settings: dict[str, str]) -> str:
        fields = [("project", project), ("spider", spider), ("jobid", jobid), *args.items()]
        fields += [("setting", f"{k}={v}") for k, v in settings.items()]
        return self.call("schedule.json", fields, method="POST")["jobid"]

    def jobs(self, project: str) -> dict:
        return self.call("listjobs.json", [("project", project)])

    def cancel(self, project: str, jobid: str) -> None:
        self.call("cancel.json", [("project", project), ("job", jobid)], method="POST")

    def log(self, project: str, jobid: str, spider: str = SPIDER, tail: int = 65536) -> str:
        """The end of the job's Scrapy log ("" when the server keeps no logs)."""
        url = f"{self.url}logs/{project}/{spider}/{jobid}.log"
        # Progress and stats are at the end. Twisted answers 500 to a suffix range longer
        # than the file, so a short log is fetched whole.
        for headers in ({"Range": f"bytes=-{tail}"}, {}):
            try:
                return self._open(urllib.request.Request(url, headers=headers)).decode("utf-8", "replace")
            except ScrapydError:
                continue
        return ""


def _multipart(fields: list[tuple[str, str]], egg: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; filename="project.egg"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + egg + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def servers_from(text: str) -> list[Scrapyd]:
    urls = [u for u in (text or "").split(",") if u.strip()]
    if not urls:
        raise ScrapydError("--scrapyd needs at least one URL (http://host:6800)")
    return [Scrapyd(u) for u in urls]


def check_servers(servers: list[Scrapyd], project: str = PROJECT) -> None:
    """Every server answers and has the project's `reports` spider (else: deploy first)."""
    for server in servers:
        server.status()
        if project not in server.projects() or SPIDER not in server.spiders(project):
            raise ScrapydError(f"scrapyd at {server.url} has no project {project!r} with the {SPIDER!r} spider"
                               f" (run: nianbao deploy --scrapyd {server.url})")


# --- partitions -----------------------------------------------------------------------


def _overlaps(a: Site, b: Site) -> bool:
    return any(b.in_scope(f"http://{h}/") for h in a.hosts) or any(a.in_scope(f"http://{h}/") for h in b.hosts)


def site_groups(sites: list[Site]) -> list[list[Site]]:
    """Sites in groups that must share a process: overlapping scopes are one group (union-find)."""
    parent = list(range(len(sites)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(sites)):
        for j in range(i + 1, len(sites)):
            if _overlaps(sites[i], sites[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[Site]] = {}
    for i, site in enumerate(sites):
        groups.setdefault(root(i), []).append(site)
    return list(groups.values())


def partition_sites(sites: list[Site], count: int | None = None) -> list[list[Site]]:
    """At most `count` partitions (default: as many as possible), whole site groups each,
    balanced by number of sites (largest groups first into the smallest partition)."""
    groups = sorted(site_groups(sites), key=lambda g: (-len(g), g[0].slug))
    count = len(groups) if not count else max(1, min(count, len(groups)))
    bins: list[list[Site]] = [[] for _ in range(count)]
    for group in groups:
        min(bins, key=len).extend(group)
    return [sorted(b, key=lambda s: s.slug) for b in bins if b]


# --- jobs -----------------------------------------------------------------------------


@dataclass
class Job:
    name: str  # <province>-<partition>: also the shard's file name
    sites: list[str]
    server: Scrapyd
    shard: str
    jobid: str = ""
    state: str = "unscheduled"  # pending | running | finished
    pages: int = 0
    items: int = 0
    close_reason: str | None = None
    extra: dict = field(default_factory=dict)


def plan_jobs(province: str, partitions: list[list[Site]], servers: list[Scrapyd], shards_dir: str) -> list[Job]:
    """One job per partition, dealt round-robin over the servers (each queues what it cannot run yet)."""
    jobs = []
    for i, part in enumerate(partitions):
        name = f"{province}-{part[0].slug}" if len(part) == 1 else f"{province}-p{i + 1:02d}"
        jobs.append(Job(name=name, sites=[s.slug for s in part], server=servers[i % len(servers)],
                        shard=f"{shards_dir.rstrip('/')}/{name}.db"))
    return jobs


def schedule_jobs(jobs: list[Job], *, province: str, registry: str | None, settings: dict[str, str],
                  project: str = PROJECT, stamp: str | None = None) -> None:
    stamp = stamp or time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    for job in jobs:
        args = {"province": province, "sites": ",".join(job.sites)}
        if registry:
            args["registry"] = registry
        job_settings = {"LOGSTATS_INTERVAL": "5", "NIANBAO_PROGRESS_INTERVAL": "0", **settings,
                        "NIANBAO_DB": job.shard}
        job.jobid = job.server.schedule(project, SPIDER, jobid=f"{job.name}-{stamp}", args=args,
                                        settings=job_settings)
        job.state = "pending"


def poll_jobs(jobs: list[Job], project: str = PROJECT) -> None:
    """Refresh state, pages and items (from the job logs) of every job not yet finished."""
    by_server: dict[str, list[Job]] = {}
    for job in jobs:
        by_server.setdefault(job.server.url, []).append(job)
    for group in by_server.values():
        server = group[0].server
        listing = server.jobs(project)
        states = {j["id"]: state for state in ("pending", "running", "finished") for j in listing.get(state, [])}
        for job in group:
            if job.state == "finished":
                continue
            job.state = states.get(job.jobid, job.state)
            if job.state in ("running", "finished"):
                _read_log(job, server.log(project, job.jobid))


def _read_log(job: Job, log: str) -> None:
    stats = _LOGSTATS.findall(log)
    if stats:
        job.pages, job.items = map(int, stats[-1])
    closed = _CLOSED.findall(log)
    if closed:
        job.close_reason = closed[-1]
    m = re.search(r"'item_scraped_count': (\d+)", log)
    if m:
        job.items = int(m.group(1))
    m = re.search(r"'response_received_count': (\d+)", log)
    if m:
        job.pages = int(m.group(1))


def progress_line(province: str, jobs: list[Job]) -> str:
    count = {s: sum(1 for j in jobs if j.state == s) for s in ("pending", "running", "finished")}
    return (f"[scrapyd {province}] jobs {count['finished']}/{len(jobs)} finished, {count['running']} running,"
            f" {count['pending']} pending · pages {sum(j.pages for j in jobs)}"
            f" · reports found {sum(j.items for j in jobs)}")


def wait_for(jobs: list[Job], province: str, *, interval: float = 5.0, on_progress=None,
             project: str = PROJECT) -> None:
    """Poll until every job has finished; on_progress(line) every `interval` seconds."""
    while True:
        poll_jobs(jobs, project)
        if on_progress:
            on_progress(progress_line(province, jobs))
        if all(j.state == "finished" for j in jobs):
            return
        time.sleep(interval)
