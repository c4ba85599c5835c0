"""One path for every outgoing message: bot/ speaks to a platform only through the outbox (bot/delivery.py,
bot/flows/delivering.py), which orders per target, retries with backoff and Retry-After, and sets aside what
is refused for good. A new direct call of the Chat port's sending methods anywhere else in bot/ fails here;
the few legitimate ones are listed with why. Below the port, the adapters (handlers/) write to Slack and
WeCom only in their Chat implementation, so nothing reaches a platform around the outbox that way either.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The Chat port's methods that make something appear on the platform (bot/chat.py); reading ones are free.
SENDING = {"create_room", "invite", "post", "post_once", "update", "pin", "set_topic", "direct", "direct_once", "reply",
           "upload"}
DELIVERY_PATH = "the outbox's sender: claims, sends, retries and sets aside each row"
ALLOWED: dict[tuple[str, str], str] = {
    **{("bot/flows/delivering.py", method): DELIVERY_PATH
       for method in ("create_room", "invite", "post", "post_once", "pin", "set_topic", "direct_once")},
    ("bot/flows/send_progress.py", "update"): "a send's bar, from an outbox row (only delivering.send calls it)",
    ("bot/flows/send_progress.py", "post_once"): "the same bar posted (anew), from the same outbox row",
    ("bot/flows/file_out.py", "upload"): "a file shared from an outbox row (only delivering.send calls it)",
    **{("bot/flows/status_out.py", method): "the living status, from an outbox `refresh` row (delivering.send)"
       for method in ("update", "post", "pin", "set_topic")},
    ("bot/app.py", "reply"): "the answer to the person who typed, on their request's own channel (Slack's "
                             "response_url); it says what of the command the outbox has not delivered yet",
}


def _chat_names(tree: ast.AST) -> set[str]:
    """Names that hold the chat port in this module: `chat`, `x = bot.chat`, a parameter typed `Chat`."""
    names = {"chat"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute) and node.value.attr == "chat":
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.arg) and isinstance(node.annotation, ast.Name | ast.Constant) \
                and "Chat" == getattr(node.annotation, "id", getattr(node.annotation, "value", None)):
            names.add(node.arg)
    return names


def direct_calls(source: str) -> list[tuple[int, str]]:
    """(line, method) of every use of a sending method on the chat port (`bot.chat.post`, `self.chat.update`,
    `chat.direct`, `getattr(bot.chat, "post")`), called or passed on."""
    tree = ast.parse(source)
    names = _chat_names(tree)

    def is_chat(node: ast.AST) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "chat") or (isinstance(node, ast.Name)
                                                                            and node.id in names)

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in SENDING and is_chat(node.value):
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                and len(node.args) >= 2 and is_chat(node.args[0]) and isinstance(node.args[1], ast.Constant) \
                and node.args[1].value in SENDING:
            found.append((node.lineno, str(node.args[1].value)))
    return sorted(found)


def test_bot_sends_only_through_the_outbox():
    offenders, used = [], set()
    for path in sorted((ROOT / "bot").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        if name == "bot/chat.py":  # the port itself
            continue
        for lineno, method in direct_calls(path.read_text(encoding="utf-8")):
            used.add((name, method))
            if (name, method) not in ALLOWED:
                offenders.append(f"{name}:{lineno} calls chat.{method} outside the outbox")
    assert offenders == []
    assert sorted(set(ALLOWED) - used) == []  # an allowance nobody needs any more is taken off the list


def test_the_bar_is_sent_only_by_the_outbox():
    callers = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "bot").rglob("*.py")
                     if "send_progress.deliver" in p.read_text(encoding="utf-8"))
    assert callers == ["bot/flows/delivering.py"]


def test_the_checker_finds_a_direct_call_however_it_is_written():
    source = '''
def announce(bot, room, message, ref):
    bot.chat.post(room=room, message=message)
    self.chat.update(ref=ref, message=message)
    chat = bot.chat
    chat.direct(user="U1", message=message)
    talk = bot.chat
    later = talk.pin
    getattr(bot.chat, "set_topic")(room=room, topic="x")
    bot.chat.display_name("U1")  # reading is not sending


def spoken(port: Chat, room):
    port.invite(room=room, users=["U1"])
'''
    assert direct_calls(source) == [(3, "post"), (4, "update"), (6, "direct"), (8, "pin"), (9, "set_topic"),
                                    (14, "invite")]


# The platforms' own message-writing calls belong in each Chat implementation, which the outbox drives.
PLATFORM_WRITES = re.compile(r"\.(chat_postMessage|chat_postEphemeral|chat_update|chat_delete|files_upload_v2|"
                             r"conversations_create|conversations_invite|conversations_setTopic|pins_add|"
                             r"appchat\.(?:create|update|send)|message\.send)\b")
PORTS = {"handlers/slack/chat.py", "handlers/wecom/chat.py"}
ADAPTER_ALLOWED = {
    ("handlers/slack/listeners.py", "chat_update"): "a pressed question's buttons become a line saying who "
                                                    "answered (cosmetic, best effort, logged on failure): the "
                                                    "answer itself is a command whose effects are outbox rows",
}


def test_adapters_write_to_the_platform_only_in_their_chat_port():
    offenders, used = [], set()
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        if name in PORTS:
            continue
        for lineno, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in PLATFORM_WRITES.finditer(text):
                used.add((name, match.group(1)))
                if (name, match.group(1)) not in ADAPTER_ALLOWED:
                    offenders.append(f"{name}:{lineno} calls {match.group(1)} outside its Chat port")
    assert offenders == []
    assert sorted(set(ADAPTER_ALLOWED) - used) == []
