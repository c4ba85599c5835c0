"""The dependency audit `make test` runs: pip-audit against an OSV mirror, the public feeds, or a skip line."""

from __future__ import annotations

import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests import dependency_audit as audit_mod
from tests.dependency_audit import CONSTRAINTS, Mirror, affects, audit, pinned, public_source

PINS = "# test pins\nJinja2==3.1.6\nslack_bolt==1.30.0\nPyYAML==6.0.4\n"


def advisory(id_: str, name: str, events: list[dict] | None = None, versions: list[str] | None = None,
             **extra) -> dict:
    entry: dict = {"package": {"name": name, "ecosystem": "PyPI"}}
    if events is not None:
        entry["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if versions is not None:
        entry["versions"] = versions
    return {"id": id_, "summary": f"{id_} summary", "affected": [entry], **extra}


def write_db(root: Path, records: list[dict]) -> Path:
    """Lay records out like github.com/pypa/advisory-database: vulns/<package>/<id>.yaml."""
    for record in records:
        folder = root / "vulns" / record["affected"][0]["package"]["name"].lower()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{record['id']}.yaml").write_text(yaml.safe_dump(record), encoding="utf-8")
    return root


@pytest.fixture
def pins(tmp_path) -> Path:
    path = tmp_path / "constraints.txt"
    path.write_text(PINS, encoding="utf-8")
    return path


def run(pins: Path, db: Path | None, **kwargs) -> tuple[int, list[str]]:
    lines: list[str] = []
    status = audit(pins, db, out=lines.append, find_public=lambda: None, **kwargs)
    return status, lines


@pytest.mark.parametrize(("entry", "version", "hit"), [
    ({"versions": ["3.1.6"]}, "3.1.6", True),
    ({"versions": ["3.1.5"]}, "3.1.6", False),
    ({"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.7"}]}]}, "3.1.6", True),
    ({"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.6"}]}]}, "3.1.6", False),
    ({"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "3.2"}]}]}, "3.1.6", False),
    ({"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "3.0"}]}]}, "3.1.6", True),
    ({"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "3.1.6"}]}]}, "3.1.6", True),
    ({"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "3.1.5"}]}]}, "3.1.6", False),
    # two windows, listed out of order: 1.5 lies between them, 2.2 inside the second
    ({"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.5"},
                                                   {"introduced": "0"}, {"fixed": "1.0"}]}]}, "1.5", False),
    ({"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.5"},
                                                   {"introduced": "0"}, {"fixed": "1.0"}]}]}, "2.2", True),
    ({"ranges": [{"type": "GIT", "events": [{"introduced": "0"}]}]}, "3.1.6", False),
])
def test_osv_entries_are_matched_by_version_and_range(entry, version, hit):
    assert affects(entry, version) is hit


def test_mirror_matches_canonical_names_and_skips_withdrawn():
    mirror = Mirror([
        advisory("A-1", "Jinja2", versions=["3.1.6"]),
        advisory("A-2", "jinja2", versions=["3.1.6"], withdrawn="2026-01-01T00:00:00Z"),
        advisory("A-3", "slack_bolt", [{"introduced": "0"}, {"fixed": "9"}]),
        advisory("A-4", "markupsafe", versions=["3.1.6"]),
    ])
    assert [r["id"] for r in mirror.query("jinja2", "3.1.6")] == ["A-1"]
    assert mirror.query("jinja2", "3.1.6")[0]["affected"][0]["package"]["name"] == "jinja2"
    assert [r["id"] for r in mirror.query("Slack-Bolt", "1.30.0")] == ["A-3"]
    assert mirror.query("pyyaml", "6.0.4") == []


def test_a_known_vulnerability_fails_the_audit_and_says_what_to_raise(pins, tmp_path):
    db = write_db(tmp_path / "db", [
        advisory("PYSEC-2099-1", "jinja2", [{"introduced": "0"}, {"fixed": "3.1.7"}], aliases=["CVE-2099-1"]),
        advisory("PYSEC-2099-2", "pyyaml", [{"introduced": "0"}, {"fixed": "6.0"}]),  # fixed before our pin
        advisory("PYSEC-2099-3", "slack-bolt", versions=["1.30.0"], withdrawn="2099-01-02T00:00:00Z"),
    ])
    status, lines = run(pins, db)
    assert status == 1
    assert lines[0].startswith("dependency audit FAILED: 1 known vulnerability")
    assert "jinja2 3.1.6: PYSEC-2099-1 / CVE-2099-1 (fixed in 3.1.7)" in lines[1]
    assert "constraints.txt" in lines[-1]
    assert not any("pyyaml" in line or "slack" in line for line in lines)


def test_no_known_vulnerability_passes_in_one_line(pins, tmp_path):
    db = write_db(tmp_path / "db", [advisory("PYSEC-2099-2", "pyyaml", [{"introduced": "0"}, {"fixed": "6.0"}])])
    status, lines = run(pins, db)
    assert (status, len(lines)) == (0, 1)
    assert lines[0].startswith("dependency audit: no known vulnerabilities in 3 pinned packages")


def test_osv_zip_export_is_read_too(pins, tmp_path):
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("PYSEC-2099-9.json", json.dumps(advisory("PYSEC-2099-9", "slack-bolt", versions=["1.30.0"])))
        zf.writestr("OTHER-1.json", json.dumps(advisory("OTHER-1", "django", versions=["1.0"])))
    status, lines = run(pins, archive)
    assert status == 1
    assert "slack-bolt 1.30.0: PYSEC-2099-9 (no fixed version yet)" in lines[1]


def test_without_any_source_it_says_so_in_one_line_and_fails_only_when_required(pins):
    status, lines = run(pins, None)
    assert (status, len(lines)) == (0, 1)
    assert lines[0].startswith("NOTE: dependency audit skipped")
    assert "BREACHBOT_ADVISORY_DB" in lines[0]
    assert run(pins, None, require=True)[0] == 1


def test_a_constraints_line_that_is_not_an_exact_pin_is_refused(tmp_path):
    bad = tmp_path / "constraints.txt"
    bad.write_text("jinja2>=3\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"constraints.txt:1: pin every package exactly"):
        pinned(bad)


class _Feed(BaseHTTPRequestHandler):
    pypi_status = 404

    def do_GET(self):  # noqa: N802
        body = json.dumps({"info": {}, "vulnerabilities": []}).encode()
        self.send_response(self.pypi_status)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_public_feeds_are_probed_in_order_and_a_registry_mirror_does_not_count():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        # a registry that serves packages but not the per-version JSON: fall through to OSV
        assert public_source(f"{base}/pypi/pip/23.0/json", f"{base}/v1/query").service == "osv"
        _Feed.pypi_status = 200
        assert public_source(f"{base}/pypi/pip/23.0/json", f"{base}/v1/query").service == "pypi"
    finally:
        _Feed.pypi_status = 404
        server.shutdown()
        server.server_close()
    assert public_source(f"{base}/pypi/pip/23.0/json", f"{base}/v1/query", timeout=0.5) is None


def test_main_reads_the_mirror_and_requirement_from_the_environment(monkeypatch, pins, tmp_path, capsys):
    db = write_db(tmp_path / "db", [advisory("PYSEC-2099-1", "jinja2", versions=["3.1.6"])])
    monkeypatch.setenv("BREACHBOT_ADVISORY_DB", str(db))
    assert audit_mod.main(["--constraints", str(pins)]) == 1
    assert "PYSEC-2099-1" in capsys.readouterr().out


def _closure(requirement: str, extras: tuple[str, ...] = ()) -> set[str]:
    """Every distribution `requirement` pulls in (markers evaluated here), by canonical name."""
    seen: set[str] = set()
    todo = [(requirement, extras)]
    while todo:
        name, wanted = todo.pop()
        name = canonicalize_name(name)
        if name in seen:
            continue
        seen.add(name)
        for raw in metadata.requires(name) or ():
            req = Requirement(raw)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in (*wanted, "")):
                todo.append((req.name, tuple(req.extras)))
    return seen


def test_every_installed_dependency_is_pinned_at_its_installed_version():
    pins = pinned(CONSTRAINTS)
    needed = _closure("breachbot", ("test",)) - {"breachbot"}
    assert needed - set(pins) == set(), "add these to constraints.txt (see its header)"
    drift = {name: (pins[name], metadata.version(name)) for name in needed if metadata.version(name) != pins[name]}
    assert drift == {}, "constraints.txt and the installed versions differ: reinstall with make test"


def test_make_test_runs_the_audit_and_make_audit_requires_it():
    makefile = (CONSTRAINTS.parent / "Makefile").read_text(encoding="utf-8")
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    audit_recipe = makefile.split("\naudit:", 1)[1].split("\n\n", 1)[0]
    assert "-m tests.dependency_audit" in test_recipe
    assert "-m tests.dependency_audit --require" in audit_recipe
