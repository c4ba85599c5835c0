"""Files from the delivery outbox: a report, merged letters or a mailing archive shared in the war room.

An `upload` row is written in the transaction of the command that made the file (the file's bytes and the
message naming it), and sent after the commit in the war room's lane, so the file and what names it keep
their place among the room's other messages; a rate limit or an outage is retried like any message, and the
person who asked is told what is kept. Once the platform has the file, where it went is recorded at once and
the message naming it is posted; the file's bytes are dropped when the row is confirmed. A process that dies
between the upload and that record shares the file again: platforms keep no key on a file to look for.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from bot.chat import Message, Upload, message_from_dict, message_to_dict
from bot.flows.port import Bot
from bot.outbox import with_file
from storage.models import OutboundMessage

OP = "upload"


def payload(upload: Upload, named: Message) -> dict[str, Any]:
    """What an `upload` row stores: the file and the message naming it."""
    return {"filename": upload.filename, "title": upload.title,
            "content": base64.b64encode(upload.content).decode("ascii"), "message": message_to_dict(named)}


def deliver(bot: Bot, row: OutboundMessage, room: str) -> Message:
    """Share the row's file in `room` unless an earlier try did; returns the message naming it, with where."""
    where = row.meta.get("where")
    if where is None:
        data = row.payload
        where = bot.chat.upload(room=room, upload=Upload(filename=data["filename"], title=data.get("title", ""),
                                                         content=base64.b64decode(data["content"])))
        with bot.unit() as session:  # recorded before anything else can fail: a retry does not share it twice
            fresh = session.get(OutboundMessage, row.id)
            assert fresh is not None
            fresh.meta = {**fresh.meta, "where": where}
            session.add(fresh)
        row.meta = {**row.meta, "where": where}
    return with_file(message_from_dict(row.payload["message"]), str(where))


def forget(row: OutboundMessage, add: Callable[[OutboundMessage], None]) -> None:
    """The file's bytes are not kept once the platform has it (the record is the message naming it)."""
    if row.op == OP and "content" in row.payload:
        row.payload = {k: v for k, v in row.payload.items() if k != "content"}
        add(row)
