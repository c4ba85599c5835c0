"""Declares at once from several processes, on a brand-new workspace: every one gets its own incident."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import Session, select

from storage.models import Incident, Workspace
from tests.conftest import START
from tests.test_processes import ROOT, _target, sent


def storm(engine, tmp_path: Path, *, processes: int, threads: int, workspace: str = "storm") -> list[dict]:
    """Fire processes × threads declares at the same moment; returns every answer and message."""
    url, schema = _target(engine)
    go = tmp_path / "go"
    outs = [tmp_path / f"p{i}.jsonl" for i in range(processes)]
    procs = [subprocess.Popen([sys.executable, "-m", "tests.declare_process", url, schema, START.isoformat(),
                               str(out), str(go), str(threads), workspace], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for out in outs]
    deadline = time.monotonic() + 120
    while not all(Path(f"{out}.ready").exists() for out in outs):  # every thread is waiting at the gate
        assert all(p.poll() is None for p in procs), [p.communicate()[1][-2000:] for p in procs if p.poll() is not None]
        assert time.monotonic() < deadline, "the declaring processes never got ready"
        time.sleep(0.05)
    go.write_text("go", encoding="utf-8")
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
    return sent(*outs)


def test_fifty_declares_at_once_make_fifty_incidents(engine, tmp_path):
    # SQLite takes one writer at a time (BEGIN IMMEDIATE): 20 show it as well as 50, in less time.
    processes, threads = (5, 10) if engine.dialect.name == "postgresql" else (2, 10)
    total = processes * threads
    got = storm(engine, tmp_path, processes=processes, threads=threads)
    wrong = [g["text"] for g in got if g["op"] == "reply" and ("went wrong" in g["text"] or "error" in g["text"])]
    assert wrong == []
    with Session(engine) as s:
        [ws] = s.exec(select(Workspace).where(Workspace.external_id == "storm")).all()  # made once, by upsert
        numbers = sorted(i.number for i in s.exec(select(Incident).where(Incident.workspace_id == ws.id)))
        assert numbers == list(range(1, total + 1)) and ws.last_number == total
        titles = {i.title for i in s.exec(select(Incident))}
    assert len(titles) == total
    # Each declarer was answered with their own incident.
    declared = [g for g in got if g["op"] == "reply" and "BR-" in g["text"]]
    assert len(declared) >= total
