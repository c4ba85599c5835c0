"""One data key per firm: two WeCom corps import their clients through the bot, each firm's contacts are sealed
under its own key, one firm's key never opens the other's, and keys rotate (a firm's, and the deployment's)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.chat import Context
from bot.commands import ClientsImport
from bot.errors import UserError
from bot.statements import keys
from bot.statements.clients import Vault
from handlers.cli import main
from handlers.wecom.chat import dm_room
from storage.firm_tables import FirmKey
from storage.models import Client, Incident, Workspace
from tests.conftest import TEST_DATA_KEY
from tests.wecom.conftest import CORP_ID
from tests.wecom.test_corps import CORP_B, Corp, two_corps  # noqa: F401 - the fixture
from tests.wecom.test_firms import cli_url

CONTACTS = {CORP_ID: ["wang@a.example", "13800000001"], CORP_B: ["zhao@b.example"]}
NAMES = {CORP_ID: ["王芳", "李强"], CORP_B: ["赵敏"]}


def _import_both(a: Corp, b: Corp) -> None:
    for corp in (a, b):
        assert corp.post(f"/wecom/callback/{corp.corp_id}", "zhangsan", "宣布 客户资料泄露") == 200
        rows = "".join(f"{n},个人,{c},中文,上海\n" for n, c in zip(NAMES[corp.corp_id], CONTACTS[corp.corp_id], strict=True))
        context = Context(workspace=corp.corp_id, user="zhangsan", room=dm_room("zhangsan"), platform="wecom")
        corp.side.bot.handle(context, ClientsImport(content=("姓名,类型,联系方式,语言,居住地\n" + rows).encode(),
                                                    source="客户.csv", incident=1))


def _sealed(engine: Engine, corp: str) -> tuple[int, list[str]]:
    """A firm's workspace id and its contacts as stored."""
    with Session(engine) as s:
        ws = s.exec(select(Workspace).where(Workspace.external_id == corp)).one()
        tokens = s.exec(select(Client.contact_encrypted).join(Incident).where(Incident.workspace_id == ws.id)
                        .order_by(Client.id)).all()
        return ws.id or 0, list(tokens)


def _opened(engine: Engine, workspace_id: int, tokens: list[str], master: str = TEST_DATA_KEY) -> list[str]:
    with Session(engine) as s:
        vault = keys.firm_vault(s, workspace_id=workspace_id, master=master)
    return [vault.open(token) for token in tokens]


def test_each_firm_seals_its_contacts_under_its_own_key(two_corps):  # noqa: F811 - the fixture
    a, b = two_corps
    engine = a.side.bot.engine
    _import_both(a, b)
    ws_a, sealed_a = _sealed(engine, CORP_ID)
    ws_b, sealed_b = _sealed(engine, CORP_B)
    assert len(sealed_a) == 2 and len(sealed_b) == 1
    assert not any(c in t for t in sealed_a + sealed_b for c in CONTACTS[CORP_ID] + CONTACTS[CORP_B])
    assert _opened(engine, ws_a, sealed_a) == CONTACTS[CORP_ID]
    assert _opened(engine, ws_b, sealed_b) == CONTACTS[CORP_B]
    with Session(engine) as s:
        stored = {k.workspace_id: k for k in s.exec(select(FirmKey))}
        assert set(stored) == {ws_a, ws_b}
        vault_a = keys.firm_vault(s, workspace_id=ws_a, master=TEST_DATA_KEY)
        vault_b = keys.firm_vault(s, workspace_id=ws_b, master=TEST_DATA_KEY)
    # Neither firm's key opens the other's contacts, and the deployment's key alone opens none of them.
    for vault, other in ((vault_a, sealed_b), (vault_b, sealed_a), (Vault(TEST_DATA_KEY), sealed_a + sealed_b)):
        for token in other:
            with pytest.raises(UserError, match="cannot be decrypted|无法用当前的 BREACHBOT_DATA_KEY"):  # in the firm's words
                vault.open(token)
    # The database alone opens nothing: a firm's key is kept wrapped under BREACHBOT_DATA_KEY.
    for key in stored.values():
        with pytest.raises(Exception):  # noqa: B017 - a wrapped key is no Fernet key
            Vault(key.wrapped).open(sealed_a[0])
    # A second import keeps the firm's key (one key per firm, not per import).
    _import_both(a, b)
    with Session(engine) as s:
        assert len(s.exec(select(FirmKey)).all()) == 2


def test_a_firm_key_and_the_deployment_key_rotate(two_corps):  # noqa: F811 - the fixture
    a, b = two_corps
    engine = a.side.bot.engine
    _import_both(a, b)
    ws_a, before_a = _sealed(engine, CORP_ID)
    ws_b, before_b = _sealed(engine, CORP_B)
    # A contact stored before firms had keys (sealed under the deployment's key) still opens for its firm.
    with Session(engine) as s:
        incident = s.exec(select(Incident).where(Incident.workspace_id == ws_b)).one()
        s.add(Client(incident_id=incident.id or 0, name="钱旧", kind="individual", lang="zh", residence="CN",
                     contact_encrypted=Vault(TEST_DATA_KEY).seal("old@b.example")))
        s.commit()
    ws_b, with_old = _sealed(engine, CORP_B)
    assert _opened(engine, ws_b, with_old) == [*CONTACTS[CORP_B], "old@b.example"]

    # Firm A's key rotates: its contacts are sealed again under a new key; firm B's are untouched.
    with Session(engine) as s:
        old_ref = keys.ref(keys.current(s, ws_a))
        done = keys.rotate(s, workspace_id=ws_a, master=TEST_DATA_KEY, now=a.side.bot.now())
        s.commit()
    assert done.contacts == 2 and done.key != old_ref
    ws_a, after_a = _sealed(engine, CORP_ID)
    assert after_a != before_a and _opened(engine, ws_a, after_a) == CONTACTS[CORP_ID]
    assert _sealed(engine, CORP_B)[1] == with_old
    with Session(engine) as s:
        assert [keys.ref(k) for k in s.exec(select(FirmKey).where(FirmKey.workspace_id == ws_a))] == [done.key]

    # The deployment's key rotates: BREACHBOT_DATA_KEY="new,old", `breachbot keys rotate --all`, then "new" alone.
    new = Vault.new_key()
    argv = ["--db", cli_url(engine), "keys"]
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("BREACHBOT_DATA_KEY", f"{new},{TEST_DATA_KEY}")
        assert main([*argv, "rotate", "--all"]) == 0
        mp.setenv("BREACHBOT_DATA_KEY", new)
        assert main(argv) == 0
        mp.setenv("BREACHBOT_DATA_KEY", TEST_DATA_KEY)  # the old key alone unwraps nothing any more
        assert main([*argv, "rotate", "--workspace", f"wecom:{CORP_ID}"]) == 1
    finally:
        mp.undo()
    ws_a, final_a = _sealed(engine, CORP_ID)
    ws_b, final_b = _sealed(engine, CORP_B)
    assert _opened(engine, ws_a, final_a, master=new) == CONTACTS[CORP_ID]
    assert _opened(engine, ws_b, final_b, master=new) == [*CONTACTS[CORP_B], "old@b.example"]
    with pytest.raises(UserError):  # the old contact now sealed under firm B's key, not the deployment's
        Vault(f"{new},{TEST_DATA_KEY}").open(final_b[-1])


def test_keys_cli_lists_references_and_refuses_without_a_key(two_corps, capsys, monkeypatch):  # noqa: F811
    a, b = two_corps
    engine = a.side.bot.engine
    _import_both(a, b)
    argv = ["--db", cli_url(engine), "keys"]
    monkeypatch.setenv("BREACHBOT_DATA_KEY", TEST_DATA_KEY)
    assert main(argv) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in listed] == sorted([f"wecom:{CORP_ID}", f"wecom:{CORP_B}"])
    assert all(" data key: k" in line and TEST_DATA_KEY not in line for line in listed)
    with Session(engine) as s:
        refs = [keys.ref(k) for k in s.exec(select(FirmKey).order_by(FirmKey.id))]
    from handlers.firms import firms

    assert sorted(f.data_key for f in firms(a.side.bot.settings, engine, now=a.side.bot.now())) == sorted(refs)
    assert main([*argv, "rotate"]) == 2
    assert main([*argv, "rotate", "--workspace", "wecom:nowhere"]) == 2
    assert "no firm 'wecom:nowhere'" in capsys.readouterr().err
    monkeypatch.delenv("BREACHBOT_DATA_KEY")
    assert main(argv) == 2
    assert "BREACHBOT_DATA_KEY is not set" in capsys.readouterr().err

