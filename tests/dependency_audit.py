"""Dependency audit for `make test`: pip-audit over every pinned version in constraints.txt.

    python -m tests.dependency_audit [--require] [--advisory-db PATH]

Where the advisories come from, first that answers:

1. `--advisory-db PATH` / `BREACHBOT_ADVISORY_DB`: an OSV mirror on disk — a clone of
   github.com/pypa/advisory-database (YAML) or OSV's `PyPI/all.zip` export (JSON), for closed
   networks. It is served to pip-audit on 127.0.0.1 through pip-audit's own OSV client
   (`--osv-url`), so the matching and reporting are pip-audit's, whatever the source.
2. PyPI's vulnerability feed (pip-audit's default service).
3. OSV (api.osv.dev).

Known vulnerabilities fail the run and name the package, the advisory and the fixed version.
When no source answers, one line says the audit was skipped and how to run it offline; with
`--require` / `BREACHBOT_REQUIRE_AUDIT=1` that is a failure instead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"
PYPI_PROBE = "https://pypi.org/pypi/pip/23.0/json"  # the per-version JSON pip-audit reads
OSV_URL = "https://api.osv.dev/v1/query"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Source:
    """A vulnerability source pip-audit can use: its service name, OSV URL and a label for people."""

    service: str
    label: str
    osv_url: str | None = None


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    ids: tuple[str, ...]
    fixed_in: tuple[str, ...]
    summary: str

    def line(self) -> str:
        fix = f"fixed in {', '.join(self.fixed_in)}" if self.fixed_in else "no fixed version yet"
        return f"  {self.package} {self.version}: {' / '.join(self.ids)} ({fix}) — {self.summary[:160]}"


def pinned(path: Path = CONSTRAINTS) -> dict[str, str]:
    """Canonical package name → pinned version, from a constraints file of `name==version` lines."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not version.strip():
            raise SystemExit(f"{path}:{number}: pin every package exactly (name==version), got {raw!r}")
        pins[canonicalize_name(name.split("[", 1)[0].strip())] = version.strip()
    return pins


# -- an OSV mirror on disk ----------------------------------------------------------------------

def _records(db: Path, wanted: set[str]) -> Iterator[dict[str, Any]]:
    """OSV records from a directory tree (YAML or JSON files) or a zip of JSON files.

    Files that cannot concern a wanted package (no wanted name in their text) are not parsed.
    """
    needles = {variant for name in wanted for variant in (name, name.replace("-", "_"))}

    def parse(name: str, text: str) -> dict[str, Any] | None:
        lowered = text.lower()
        if not any(needle in lowered for needle in needles):
            return None
        record = json.loads(text) if name.endswith(".json") else yaml.load(text, Loader=_LOADER)
        return record if isinstance(record, dict) else None

    if db.is_file() and zipfile.is_zipfile(db):
        with zipfile.ZipFile(db) as archive:
            for info in archive.infolist():
                if info.filename.endswith(".json"):
                    record = parse(info.filename, archive.read(info).decode("utf-8"))
                    if record:
                        yield record
        return
    if not db.is_dir():
        raise SystemExit(f"advisory database {db} is neither a directory nor a zip file")
    for path in sorted(db.rglob("*")):
        if path.suffix in (".yaml", ".yml", ".json") and path.is_file():
            record = parse(path.name, path.read_text(encoding="utf-8"))
            if record:
                yield record


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def affects(affected: dict[str, Any], version: str) -> bool:
    """Whether one OSV `affected` entry covers `version` (explicit versions or ECOSYSTEM ranges)."""
    if version in affected.get("versions", ()):
        return True
    mine = _version(version)
    if mine is None:
        return False
    for span in affected.get("ranges", ()):
        if span.get("type") != "ECOSYSTEM":
            continue
        inside = False  # events in version order: introduced opens, fixed/last_affected close
        for event in sorted(span.get("events", ()), key=_event_order):
            (kind, at), = event.items()
            bound = Version("0") if at == "0" else _version(str(at))
            if bound is None:
                continue
            if kind == "introduced" and mine >= bound:
                inside = True
            elif kind == "fixed" and mine >= bound:
                inside = False
            elif kind == "last_affected" and mine > bound:
                inside = False
        if inside:
            return True
    return False


def _event_order(event: dict[str, Any]) -> tuple[Version, int]:
    (kind, at), = event.items()
    version = Version("0") if at == "0" else (_version(str(at)) or Version("0"))
    return version, 0 if kind == "introduced" else 1


class Mirror:
    """The records of an OSV mirror that concern the pinned packages, answering OSV queries."""

    def __init__(self, records: Iterable[dict[str, Any]]) -> None:
        self.by_package: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            for affected in record.get("affected", ()):
                package = affected.get("package", {})
                if package.get("ecosystem") == "PyPI" and package.get("name"):
                    bucket = self.by_package.setdefault(canonicalize_name(package["name"]), [])
                    if not bucket or bucket[-1] is not record:
                        bucket.append(record)

    def query(self, name: str, version: str) -> list[dict[str, Any]]:
        name = canonicalize_name(name)
        found = []
        for record in self.by_package.get(name, ()):
            if record.get("withdrawn"):
                continue
            entries = [a for a in record.get("affected", ())
                       if canonicalize_name(a.get("package", {}).get("name", "")) == name]
            if any(affects(entry, version) for entry in entries):
                # pip-audit matches entries by canonical name; give it the record in that form
                found.append({**record, "affected": [
                    {**entry, "package": {**entry["package"], "name": name}} for entry in entries]})
        return found


@contextlib.contextmanager
def serve(mirror: Mirror) -> Iterator[str]:
    """Serve `mirror` as OSV's /v1/query on 127.0.0.1; yields the URL for pip-audit's --osv-url."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            vulns = mirror.query(body.get("package", {}).get("name", ""), str(body.get("version", "")))
            payload = json.dumps({"vulns": vulns} if vulns else {}, default=str).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (signature of the base)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    finally:
        server.shutdown()
        server.server_close()


# -- the public feeds ---------------------------------------------------------------------------

def public_source(pypi_probe: str = PYPI_PROBE, osv_url: str = OSV_URL, timeout: float = 5.0) -> Source | None:
    """The first public feed that answers a probe, or None (offline, or behind a registry mirror)."""
    with contextlib.suppress(requests.RequestException, ValueError):
        answer = requests.get(pypi_probe, timeout=timeout)
        if answer.status_code == 200 and "vulnerabilities" in answer.json():
            return Source("pypi", "PyPI's vulnerability feed")
    with contextlib.suppress(requests.RequestException, ValueError):
        probe = {"package": {"name": "pip", "ecosystem": "PyPI"}, "version": "0"}
        if requests.post(osv_url, json=probe, timeout=timeout).status_code == 200:
            return Source("osv", f"OSV ({osv_url})", osv_url)
    return None


# -- running pip-audit --------------------------------------------------------------------------

def run_pip_audit(constraints: Path, source: Source) -> tuple[list[Finding], list[str], int]:
    """pip-audit over `constraints` (no resolution: every line is pinned). Returns findings,
    packages it could not audit (with why) and the number audited."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        command = [sys.executable, "-m", "pip_audit", "--requirement", str(constraints), "--no-deps",
                   "--disable-pip", "--format", "json", "--output", str(report),
                   "--progress-spinner", "off", "--vulnerability-service", source.service,
                   "--cache-dir", str(Path(tmp) / "cache")]
        if source.osv_url:
            command += ["--osv-url", source.osv_url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if not report.exists():
            raise SystemExit(f"pip-audit did not run ({done.returncode}): {done.stderr.strip()[-800:]}")
        data = json.loads(report.read_text(encoding="utf-8"))
    findings, unaudited = [], []
    for dep in data.get("dependencies", ()):
        if "skip_reason" in dep:
            unaudited.append(f"{dep['name']}: {dep['skip_reason']}")
        for vuln in dep.get("vulns", ()):
            findings.append(Finding(dep["name"], dep["version"], (vuln["id"], *vuln.get("aliases", ())),
                                    tuple(vuln.get("fix_versions", ())), vuln.get("description") or ""))
    return findings, unaudited, len(data.get("dependencies", ()))


def audit(constraints: Path = CONSTRAINTS, advisory_db: Path | None = None, require: bool = False,
          find_public: Any = public_source, out: Any = print) -> int:
    """Audit the pins and say so in one line (more lines only to name what is wrong). Exit status."""
    pins = pinned(constraints)
    with contextlib.ExitStack() as stack:
        if advisory_db is not None:
            mirror = Mirror(_records(advisory_db, set(pins)))
            source: Source | None = Source("osv", f"the advisory mirror at {advisory_db}",
                                           stack.enter_context(serve(mirror)))
        else:
            source = find_public()
        if source is None:
            out("NOTE: dependency audit skipped: no vulnerability feed answers (pypi.org, api.osv.dev); "
                "set BREACHBOT_ADVISORY_DB to a clone of github.com/pypa/advisory-database to audit offline")
            return 1 if require else 0
        findings, unaudited, count = run_pip_audit(constraints, source)
    if findings:
        out(f"dependency audit FAILED: {len(findings)} known vulnerabilit{'y' if len(findings) == 1 else 'ies'} "
            f"in pinned packages ({source.label}):")
        for finding in findings:
            out(finding.line())
        out("Raise those pins in constraints.txt (and the floor in pyproject.toml if needed), then run make test.")
        return 1
    if unaudited:
        out(f"dependency audit FAILED: {len(unaudited)} pinned packages could not be audited ({source.label}):")
        for why in unaudited:
            out(f"  {why}")
        return 1
    out(f"dependency audit: no known vulnerabilities in {count} pinned packages ({source.label})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.dependency_audit", description=__doc__.split("\n")[0])
    parser.add_argument("--constraints", type=Path, default=CONSTRAINTS)
    parser.add_argument("--advisory-db", type=Path, default=os.environ.get("BREACHBOT_ADVISORY_DB") or None,
                        help="an OSV mirror: a pypa/advisory-database clone or OSV's PyPI all.zip")
    parser.add_argument("--require", action="store_true",
                        default=os.environ.get("BREACHBOT_REQUIRE_AUDIT", "") not in ("", "0"),
                        help="fail when no vulnerability source answers")
    args = parser.parse_args(argv)
    return audit(args.constraints, args.advisory_db, args.require)


if __name__ == "__main__":
    sys.exit(main())
