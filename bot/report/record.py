"""The record as the report tells it: every event in the order it happened, people's own words apart.

Events are ordered by when they happened (`at`, as corrected by `/breach correct`), not by when they
were typed; where the two differ by a minute or more the entry also says when it was recorded. The
report's body shows the people's words (notes, decisions, captured messages, task notes, answers) and
the key events; long sections stop at a limit and the appendix holds the complete record, every event
with its sequence number, so nothing is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.report.events import Words, actor, describe
from bot.report.metrics import CORRECTED, effective_times
from storage.models import TimelineEvent

WORDS = ("note", "decision", "captured")  # people's own words, as typed
# What the bot did on its own to chase people: in the appendix, not in the body's timeline.
CHATTER = frozenset({"reminder_sent", "asked", "asked_again", "question_escalated", "role_prompted", "clock_reminder",
                     "followup_reminder", "link_opened", "delivery_fallback", "error", "send_progress"})
LIMIT = 60  # rows a section of the body shows before it continues in the appendix
SLACK = timedelta(minutes=1)


def _is_words(event: TimelineEvent) -> bool:
    """A note, decision or captured message; a task done with a note; an answer to a question."""
    if event.kind in WORDS:
        return True
    if event.kind == "task_done":
        return ": " in event.text
    return _is_answer(event)


def _is_answer(event: TimelineEvent) -> bool:
    return event.kind == "facts_changed" and str((event.data or {}).get("via", "")).startswith("answer:")


def entries(events: list[TimelineEvent], words: Words, label: Callable[[str], str],
            when: Callable[[datetime], str]) -> list[dict[str, Any]]:
    """Every event as the report shows it, in the order things happened (ties in the order recorded)."""
    at = effective_times(events)
    corrections: dict[int, list[TimelineEvent]] = {}
    for event in events:
        if event.kind == CORRECTED and isinstance(event.data.get("seq"), int):
            corrections.setdefault(event.data["seq"], []).append(event)
    out = []
    for event in sorted(events, key=lambda e: (at[e.seq], e.seq)):
        recorded = event.recorded_at or event.at
        fixes = corrections.get(event.seq, [])
        out.append({
            "seq": event.seq,
            "at": when(at[event.seq]),
            "recorded": when(recorded) if abs(recorded - at[event.seq]) >= SLACK else "",
            "was": when(event.at) if fixes else "",
            "corrected_by": ", ".join(f"#{f.seq}" for f in fixes),
            "actor": actor(event.actor, words.lang, words.name),
            "kind": label("answered" if _is_answer(event) else event.kind),
            "text": describe(event, words) if event.kind not in WORDS else event.text,
            "words": _is_words(event),
            "chatter": event.kind in CHATTER,
            "hash": event.hash,
        })
    return out


def sections(every: list[dict[str, Any]]) -> dict[str, Any]:
    """The body's two sections (people's words; the timeline without the bot's chasing), each cut at LIMIT,
    and the appendix with every entry."""
    said = [e for e in every if e["words"]]
    timeline = [e for e in every if not e["chatter"]]
    return {"words": said[:LIMIT], "words_more": max(0, len(said) - LIMIT),
            "events": timeline[:LIMIT], "events_more": max(0, len(timeline) - LIMIT),
            "appendix": every}
