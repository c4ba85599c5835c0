"""The statements scenario of the statements issue, on Slack: draft in Chinese, edit in a form, refused and
approved, 500 clients from a CSV picked in a form, merged letters uploaded, clients told, all in the export."""

from __future__ import annotations

import io
import json
import zipfile

from sqlmodel import Session, select

from bot.report.export import as_dict
from storage.models import Incident, Workspace
from tests.slack.conftest import USERS, buttons

ALICE, BOB, ERIN = USERS["alice"], USERS["bob"], USERS["erin"]


def test_statements_from_draft_to_export_on_slack(slack, fake, sqlite_engine):
    slack.bot.firm.roster = {"legal": [ERIN]}
    slack.slash(ALICE, "declare Payroll export leaked --data payroll,bank_account --clients 500")
    room = fake.channel_named("breach-1").id

    slack.slash(ALICE, "draft client --lang zh", channel=room)
    card = next(p for p in fake.posted(room) if p["text"].startswith("📝") and "D-1 v1" in p["text"])
    assert "数据泄露事件告知书" in card["text"]

    slack.slash(ALICE, "draft edit D-1", channel=room)
    view = fake.calls_to("views.open")[-1]["view"]
    slack.submit(ALICE, view, {"text": {"value": {"type": "plain_text_input",
                                                  "value": "数据泄露事件告知书\n\n尊敬的«CLIENT»：\n……"}}},
                 view_id="V0EDIT")
    card = next(p for p in reversed(fake.posted(room)) if p["text"].startswith("📝") and "D-1 v2" in p["text"])
    approve = next(b for b in buttons(card["blocks"]) if b["action_id"].startswith("approve"))
    assert approve["confirm"]["text"]["text"].startswith("Approve D-1 v2?")

    slack.press(BOB, approve, channel=room, message_ts="1")
    assert fake.responses[-1][1]["text"] == "Only Legal / compliance <@U0ERIN> may approve D-1."
    slack.press(ERIN, approve, channel=room, message_ts="1")
    assert any(p["text"].startswith("✅ D-1 v2 approved by <@U0ERIN>") for p in fake.posted(room))

    slack.slash(ALICE, "clients import", channel=room)
    rows = "name,type,contact,language,residence,data\n" + "".join(
        f"客户{i:03d},individual,c{i}@example.cn,zh,CN,payroll\n" for i in range(500))
    slack.submit(ALICE, fake.calls_to("views.open")[-1]["view"],
                 {"file": {"value": {"type": "file_input", "files": [fake.share_file("c.csv", rows.encode())]}}},
                 view_id="V0IMPORT")

    slack.slash(ALICE, "letters D-1", channel=room)
    [archive_id] = list(fake.uploads)
    names = zipfile.ZipFile(io.BytesIO(fake.uploads[archive_id])).namelist()
    assert len(names) == 501 and "manifest.csv" in names
    slack.slash(ALICE, "clients notified all --via post", channel=room)

    with Session(sqlite_engine) as s:
        incident = s.exec(select(Incident)).one()
        data = as_dict(s, incident=incident, playbook=slack.bot.playbook, ws=s.get(Workspace, incident.workspace_id),
                       now=slack.bot.now(), regimes=slack.bot.regimes)
    data = json.loads(json.dumps(data))
    assert data["clients"]["total"] == 500 and data["clients"]["notified"] == 500
    assert [(d["id"], d["lang"], d["version"], d["status"], d["approved_by"]) for d in data["drafts"]] == [
        ("D-1", "zh", 2, "approved", [ERIN])]
