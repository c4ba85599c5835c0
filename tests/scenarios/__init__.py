"""The one scenario every platform runs, and the end state it must reach."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.incident import timeline
from storage.models import Alert, Deadline, Incident, PhaseState, RoleAssignment, TaskState, TimelineEvent

BASIC = Path(__file__).with_name("basic.breach")


def script_lines(path: Path = BASIC) -> list[str]:
    """The scenario's meaningful lines (comments and blanks dropped)."""
    return [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith(";")]


def check_basic_outcome(engine: Engine, *, users: dict[str, str] | None = None) -> None:
    """Assert the state basic.breach must leave, whatever platform ran it.

    `users` maps the script's names to the platform's user ids (Slack U…, WeCom userids).
    """
    u = users or {}

    def who(name: str) -> str:
        return u.get(name, name)

    with Session(engine) as s:
        incident = s.exec(select(Incident)).one()
        assert (incident.number, incident.status, incident.severity) == (1, "closed", "high")
        assert incident.title == "Payroll export for 40 clients found on a public file share"
        assert incident.facts == {"clients": 40, "data": ["payroll", "bank_account"], "crime_suspected": False}
        assert (incident.cause, incident.lessons) == ("staff_error", "Shares must not be public")
        assert incident.current_phase == "containment"
        active = {a.role: a.user for a in s.exec(select(RoleAssignment).where(RoleAssignment.ended_at.is_(None)))}
        assert active == {"lead": who("alice"), "it_security": who("bob"), "legal": who("erin")}
        phases = {p.key: p for p in s.exec(select(PhaseState))}
        assert phases["immediate_response"].completed_at is not None
        assert phases["investigation"].completion_note == "scope known; details follow"
        assert phases["management_report"].completed_at is None
        assert phases["containment"].started_at is not None
        done = {(t.phase_key, t.key) for t in s.exec(select(TaskState).where(TaskState.done_at.is_not(None)))}
        assert done == {("immediate_response", "assemble_team"), ("immediate_response", "open_war_room"),
                        ("immediate_response", "preserve_evidence"), ("containment", "isolate")}
        events = list(s.exec(select(TimelineEvent).order_by(TimelineEvent.seq)))
        kinds = [e.kind for e in events]
        assert kinds[0] == "declared" and kinds[-1] == "closed"
        # The first close only listed what was open; the confirmed one recorded it.
        assert kinds.count("closed") == 1
        assert events[-1].data["still_open"] == {
            "clocks": [], "drafts": [], "containment_missing": True, "clients_untold": 0,
            "tasks": ["containment.fix_hole", "containment.reset_credentials", "containment.monitoring",
                      "containment.restore"]}
        assert kinds.count("reminder_sent") == 2  # phase 1 (to alice) and phase 2 (to bob)
        assert kinds.count("escalated") == 1  # phase 2 missed at 18:05
        notes = [(e.actor, e.kind, e.text) for e in events if e.kind in ("note", "decision")]
        assert notes == [(who("bob"), "note", "Share was opened by an outside IP at 09:41"),
                         (who("bob"), "decision", "Take the file share offline")]
        assert "phase_left_open" in kinds
        # Each phase start records the questions it asked (one message on every platform), once.
        assert [e.data["questions"] for e in events if e.kind == "asked"] == [
            ["discovered", "aware"], ["people", "encrypted", "key_safe", "crime", "on_behalf", "press"], ["contained"]]
        answered = [(e.actor, e.data["via"]) for e in events if e.kind == "facts_changed" and e.actor != who("alice")]
        assert answered == [(who("erin"), "answer:crime")]
        # Only the standard follow-ups scheduled at close still have reminders to send.
        pending = s.exec(select(Alert).where(Alert.state == "pending")).all()
        assert {s.get(Deadline, a.deadline_id).kind for a in pending} == {"followup"}
        assert len({a.deadline_id for a in pending}) == 3
        assert timeline.verify(s, incident).intact
