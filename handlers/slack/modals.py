"""The declare and assign modals: views to open, and submissions read back as commands."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from bot import commands
from bot.text.facts import DATA_CATEGORIES, TITLE_MAX
from handlers.slack.catalogue import ui
from handlers.slack.render import plain

DECLARE = "breach_declare"
ASSIGN = "breach_assign"
EDIT = "breach_draft_edit"
CLOSE = "breach_close"
SNOOZE = "breach_snooze"
ANSWER = "breach_answer"
IMPORT = "breach_clients_import"
# A plain_text_input holds at most 3,000 characters (max_length "between 1 and 3000", docs.slack.dev/reference/
# block-kit/block-elements/plain-text-input-element) and a modal at most 100 blocks (docs.slack.dev/reference/
# surfaces/views): a longer draft is edited in several boxes, each cut at a line end, and joined back.
EDIT_MAX = 3000
VIEW_BLOCKS_MAX = 100
EDIT_SPARE = 2  # empty boxes after a long draft, to write on when the last box is full
_VALUE = "value"
_JOIN = {"n": "\n", "-": ""}  # how two boxes are joined: the line end cut there, or nothing (a cut line)


@dataclass(frozen=True)
class Origin:
    """Where the modal was asked for, carried in private_metadata so the answer goes back there."""

    channel: str
    response_url: str | None = None
    draft: int | None = None  # the draft being edited
    incident: int | None = None
    phase: str | None = None  # the phase whose reminder is snoozed
    question: str | None = None  # the question being answered
    joins: str = ""  # a draft edited in several boxes: how each box joins the next (see _JOIN)

    def dump(self) -> str:
        """As private_metadata (Slack allows 3000 characters; what is kept here is far less)."""
        return json.dumps({"channel": self.channel, "response_url": self.response_url, "draft": self.draft,
                           "incident": self.incident, "phase": self.phase, "question": self.question,
                           "joins": self.joins})

    @staticmethod
    def load(raw: str | None) -> Origin:
        """Back from private_metadata; an unreadable one means 'no channel'."""
        try:
            data = json.loads(raw or "{}")
            return Origin(channel=str(data.get("channel") or ""), response_url=data.get("response_url") or None,
                          draft=data.get("draft"), incident=data.get("incident"), phase=data.get("phase"),
                          question=data.get("question"), joins=str(data.get("joins") or ""))
        except (ValueError, AttributeError):
            return Origin(channel="")


def _option(value: str, label: str | None = None) -> dict[str, Any]:
    return {"text": plain(label or value, 75), "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
           hint: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "label": plain(label, 2000),
                             "element": {**element, "action_id": _VALUE}, "optional": optional}
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _modal(callback_id: str, lang: str, key: str, origin: Origin, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "modal", "callback_id": callback_id, "title": plain(ui(lang, f"{key}.title"), 24),
            "submit": plain(ui(lang, f"{key}.submit"), 24), "close": plain(ui(lang, "cancel"), 24),
            "private_metadata": origin.dump(), "blocks": blocks}


def declare_view(*, lang: str, severities: list[str], default_severity: str, origin: Origin) -> dict[str, Any]:
    """Title, severity, when the firm became aware, data, clients, drill."""
    severity_options = [_option(s) for s in severities]
    blocks = [
        _input("title", ui(lang, "declare.what"), {"type": "plain_text_input", "max_length": TITLE_MAX},
               hint=ui(lang, "declare.what_hint")),
        _input("severity", ui(lang, "declare.severity"), {
            "type": "static_select", "options": severity_options,
            "initial_option": next(o for o in severity_options if o["value"] == default_severity)}),
        _input("aware", ui(lang, "declare.aware"), {"type": "plain_text_input", "max_length": 100},
               optional=True, hint=ui(lang, "declare.aware_hint")),
        _input("data", ui(lang, "declare.data"), {
            "type": "multi_static_select", "options": [_option(d) for d in DATA_CATEGORIES]}, optional=True),
        _input("clients", ui(lang, "declare.clients"), {
            "type": "number_input", "is_decimal_allowed": False, "min_value": "0"}, optional=True),
        _input("drill", ui(lang, "declare.drill"), {
            "type": "checkboxes", "options": [_option("drill", ui(lang, "declare.drill_option"))]}, optional=True),
    ]
    return _modal(DECLARE, lang, "declare", origin, blocks)


def assign_view(*, lang: str, roles: dict[str, str], origin: Origin) -> dict[str, Any]:
    """A user picker and a role."""
    blocks = [
        _input("user", ui(lang, "assign.who"), {"type": "users_select"}),
        _input("role", ui(lang, "assign.role"), {
            "type": "static_select", "options": [_option(key, f"{name} ({key})") for key, name in roles.items()]}),
    ]
    return _modal(ASSIGN, lang, "assign", origin, blocks)


def answer_view(*, lang: str, origin: Origin, question: str, hint: str) -> dict[str, Any]:
    """One question, one box (counts, times, several choices, by residence)."""
    box = {"type": "plain_text_input", "max_length": 500}
    return _modal(ANSWER, lang, "answer", origin, [_input("value", question, box, hint=hint)])


def read_answer(view: dict[str, Any]) -> commands.Answer:
    """The answer form as an Answer command (the bot checks the value like a typed one)."""
    origin = Origin.load(view.get("private_metadata"))
    return commands.Answer(question=origin.question or "", value=_state(view).get("value", {}).get("value") or "",
                           incident=origin.incident)


def snooze_view(*, lang: str, origin: Origin) -> dict[str, Any]:
    """How long to put the reminder off, and why (the reason goes in the timeline)."""
    delays = [_option(d) for d in ("15m", "30m", "1h", "2h")]
    blocks = [
        _input("delay", ui(lang, "snooze.delay"), {"type": "static_select", "options": delays,
                                                    "initial_option": delays[1]}),
        _input("reason", ui(lang, "snooze.reason"), {"type": "plain_text_input", "max_length": 500}),
    ]
    return _modal(SNOOZE, lang, "snooze", origin, blocks)


def read_snooze(view: dict[str, Any]) -> commands.Snooze:
    """The snooze form as a Snooze command."""
    origin = Origin.load(view.get("private_metadata"))
    state = _state(view)
    return commands.Snooze(phase=origin.phase, incident=origin.incident,
                           duration=(state.get("delay", {}).get("selected_option") or {}).get("value") or "30m",
                           reason=state.get("reason", {}).get("value") or "")


def close_view(*, lang: str, causes: dict[str, str], origin: Origin) -> dict[str, Any]:
    """Cause and lessons: closing is final, so it is a form the lead submits on purpose."""
    blocks = [
        _input("cause", ui(lang, "close.cause"), {
            "type": "static_select", "options": [_option(key, f"{name} ({key})") for key, name in causes.items()]}),
        _input("lessons", ui(lang, "close.lessons"), {"type": "plain_text_input", "multiline": True,
                                                      "max_length": 3000}, hint=ui(lang, "close.hint")),
    ]
    return _modal(CLOSE, lang, "close", origin, blocks)


def read_close(view: dict[str, Any]) -> commands.Close:
    """The close form's answers as a Close command (the bot checks who may close)."""
    state = _state(view)
    return commands.Close(cause=(state.get("cause", {}).get("selected_option") or {}).get("value") or "",
                          lessons=state.get("lessons", {}).get("value") or "")


def edit_parts(text: str, size: int = EDIT_MAX) -> tuple[list[str], str]:
    """A draft as boxes of at most `size` characters, cut at the last line end that fits (a line longer
    than a box is cut inside), and how the boxes join back (one `_JOIN` letter per cut)."""
    parts: list[str] = []
    joins = ""
    rest = text
    while len(rest) > size:
        cut = rest.rfind("\n", 0, size + 1)
        if cut >= 0:
            parts.append(rest[:cut])
            rest, joins = rest[cut + 1:], joins + "n"
        else:
            parts.append(rest[:size])
            rest, joins = rest[size:], joins + "-"
    return [*parts, rest], joins


def edit_view(*, lang: str, origin: Origin, text: str) -> dict[str, Any] | None:
    """The current text of a draft in one box, or in as many boxes as it needs (nothing is cut off).

    None when even a modal of 100 boxes could not hold it (the caller says how to edit it instead).
    """
    parts, joins = edit_parts(text)
    spare = EDIT_SPARE if len(parts) > 1 or len(parts[0]) > EDIT_MAX - 500 else 0
    if len(parts) + spare > VIEW_BLOCKS_MAX:
        return None
    blocks = []
    for index, part in enumerate(parts + [""] * spare):
        box: dict[str, Any] = {"type": "plain_text_input", "multiline": True, "max_length": EDIT_MAX}
        if part:
            box["initial_value"] = part
        if index >= len(parts):
            label = ui(lang, "edit.more")
        else:
            label = f"D-{origin.draft}" if len(parts) == 1 else f"D-{origin.draft} ({index + 1}/{len(parts)})"
        blocks.append(_input(edit_block(index), label, box, optional=index > 0))
    return _modal(EDIT, lang, "edit", replace(origin, joins=joins), blocks)


def edit_block(index: int) -> str:
    """The block id of the draft's `index`-th box ("text" for the first, as a one-box draft always had)."""
    return "text" if index == 0 else f"text_{index + 1}"


def edited_text(view: dict[str, Any]) -> str:
    """The boxes of the edit form joined back into the draft's text (empty spare boxes add nothing)."""
    origin = Origin.load(view.get("private_metadata"))
    state = _state(view)
    boxes, index = [], 0
    while (block := edit_block(index)) in state:
        boxes.append(state[block].get("value") or "")
        index += 1
    text = boxes[0] if boxes else ""
    for index, box in enumerate(boxes[1:]):
        if index < len(origin.joins):
            text += _JOIN.get(origin.joins[index], "\n") + box
        elif box.strip():  # written in a spare box: on a line of its own
            text += ("" if text.endswith("\n") else "\n") + box
    return text


def import_view(*, lang: str, origin: Origin) -> dict[str, Any]:
    """A file picker for the affected-client CSV."""
    picker = {"type": "file_input", "filetypes": ["csv", "txt"], "max_files": 1}
    return _modal(IMPORT, lang, "import", origin, [_input("file", ui(lang, "import.file"), picker,
                                                          hint=ui(lang, "import.hint"))])


def import_file(view: dict[str, Any]) -> dict[str, Any] | None:
    """The uploaded file's details (name, url_private_download…) from the import modal."""
    files = _state(view).get("file", {}).get("files") or []
    return files[0] if files else None


def read_edit(view: dict[str, Any]) -> commands.DraftEdit:
    """The edit modal's text as a new version of the draft."""
    origin = Origin.load(view.get("private_metadata"))
    return commands.DraftEdit(number=int(origin.draft or 0), text=edited_text(view), incident=origin.incident)


def _state(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    values = view.get("state", {}).get("values", {})
    return {block: elements.get(_VALUE, {}) for block, elements in values.items()}


def read_declare(view: dict[str, Any]) -> commands.Declare:
    """The declare modal's answers as a Declare command (the bot checks them as it would typed ones)."""
    state = _state(view)
    clients_raw = (state.get("clients", {}).get("value") or "").strip()
    return commands.Declare(
        title=(state.get("title", {}).get("value") or "").strip(),
        severity=(state.get("severity", {}).get("selected_option") or {}).get("value"),
        aware=(state.get("aware", {}).get("value") or "").strip() or None,
        clients=int(clients_raw) if clients_raw.isdecimal() else None,
        data=tuple(o["value"] for o in state.get("data", {}).get("selected_options") or ()),
        drill=bool(state.get("drill", {}).get("selected_options")),
    )


def read_assign(view: dict[str, Any]) -> commands.Assign:
    """The assign modal's answers as an Assign command."""
    state = _state(view)
    return commands.Assign(user=state.get("user", {}).get("selected_user") or "",
                           role=(state.get("role", {}).get("selected_option") or {}).get("value") or "")
