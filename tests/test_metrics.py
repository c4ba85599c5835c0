"""One source for every key time: the report, /breach history, the export and the summary agree, and each
time is the earliest the record holds (notices typed out of order with --at), checked against known times."""

from __future__ import annotations

import io
import json

import pytest
from sqlmodel import Session, select

from bot.report import document, metrics
from bot.report.export import as_dict
from storage.models import Incident, Workspace
from tests.conftest import joined, make_console

# Clock starts Sat 28 Nov 10:05 (Asia/Shanghai); the firm knew at 09:40.
SCRIPT = """
alice #general> /breach declare Payroll share open --severity high --aware "2026-11-28 09:40" --data payroll,bank_account
alice #breach-1> /breach affected CN=1200 US-CA=40
~ +20m
alice #breach-1> /breach assign @dave it_security
alice #breach-1> /breach assign @erin legal
~ +2h
dave #breach-1> /breach answer contained yes
~ +7h
erin #breach-1> /breach notified cn-pipl-57/authority --at 19:05 --ref P-1
erin #breach-1> /breach notified cn-dsl-29 --at 18:30 --ref D-1
erin #breach-1> /breach notified cn-pipl-57/individuals --at 19:00
erin #breach-1> /breach notified us-ca-1798-82 --at 18:50
~ +1h
alice #breach-1> /breach close --cause staff_error --lessons "Shares must not be public" --confirm
"""
# (key, what the report calls it, the span from awareness)
EXPECTED = [
    ("declare", "To declare", "25m"),
    ("assemble", "To assemble the team (lead, IT security, legal)", "45m"),
    ("contain", "To contain", "2h 45m"),
    ("notify", "To first regulator notice", "8h 50m"),
    ("clients", "To first client told", "9h 10m"),
    ("close", "To close", "10h 45m"),
]


@pytest.fixture(scope="module")
def incident_run(tmp_path_factory):
    from storage.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('metrics') / 'm.db'}")
    upgrade(engine)
    console = make_console(engine)
    assert console.run_script(SCRIPT.strip().splitlines(), out=io.StringIO()) == 0
    return console


def _built(console, lang="en"):
    with Session(console.bot.engine) as s:
        incident = s.exec(select(Incident)).one()
        ws = s.get(Workspace, incident.workspace_id)
        report = document.build(s, incident=incident, playbook=console.bot.playbook, regimes=console.bot.regimes,
                                firm_profile=frozenset(), ws=ws, lang=lang, now=console.clock.now(), firm_name="F")
        export = as_dict(s, incident=incident, playbook=console.bot.playbook, ws=ws, now=console.clock.now(),
                         regimes=console.bot.regimes)
        times = metrics.key_times(s, incident, console.bot.regimes)
    return report, export, times


@pytest.mark.parametrize(("key", "label", "span"), EXPECTED)
def test_each_key_time_is_the_earliest_and_everyone_says_the_same(incident_run, key, label, span):
    report, export, times = _built(incident_run)
    from bot.text.times import format_duration

    assert format_duration(times.span(key), "en") == span
    assert (label, span) in report["durations"]
    assert f"| {label} | {span} |" in document.to_markdown(report)
    assert export["key_times"][key]["hours_from_aware"] == pytest.approx(times.span(key).total_seconds() / 3600)
    assert json.loads(document.to_json(report))["key_times"][key]["hours_from_aware"] is not None


def test_history_and_summary_show_the_reports_times(incident_run):
    history = joined(incident_run.say("alice", "/breach history", "general"))
    assert "BR-1 · high · closed · Payroll share open · 25m / 2h 45m / 8h 50m / 9h 10m / 10h 45m" in history
    assert "Average time to first regulator notice (real incidents): 8h 50m over 1" in history
    summary = joined(incident_run.say("alice", "/breach summary", "breach-1"))
    assert ("From awareness: declared after 25m, contained after 2h 45m, first regulator notice after 8h 50m, "
            "first client told after 9h 10m, closed after 10h 45m") in summary


def test_zh_report_says_the_same_spans(incident_run):
    report, _, _ = _built(incident_run, "zh")
    zh = dict(report["durations"])
    assert zh["至首次向监管通报"] == "8小时50分" and zh["至首次通知客户"] == "9小时10分" and zh["至控制"] == "2小时45分"
