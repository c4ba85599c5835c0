"""The advice in a client letter follows where the client lives: mainland China, a US state, the EU or
elsewhere; nobody in California is told to call 110, nobody in Shanghai to ask the IRS for a PIN."""

from __future__ import annotations

import pytest

from tests.conftest import said as say
from tests.test_statement_facts import import_clients, letters_in, record_facts, team

CSV = ("name,type,contact,language,residence,data\n"
       "Wang Fang,individual,wang@example.cn,zh,CN,bank_account\n"
       "Amy Lee,individual,amy@example.com,en,US-CA,tax_id\n"
       "Zhou Min,individual,zhou@example.com,zh,US-NY,tax_id\n"
       "Hans Müller,individual,hans@example.de,en,EU,tax_id\n"
       "Tan Wei,individual,tan@example.sg,en,SG,bank_account\n"
       "Acme Trading Ltd,company,ops@acme.example,en,US-CA,payroll\n")
CN = ("国家反诈中心", "110", "个税", "中国人民银行征信中心", "People's Bank of China")
US = ("IRS", "annualcreditreport.com", "Equifax", "IdentityTheft.gov")
EU = ("data protection authority", "数据保护机构")
OTHER = ("credit bureau where you live", "所在地的征信机构")


def has(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_letter_gives_the_advice_for_the_clients_residence(sqlite_engine, tmp_path, lang):
    console = team(sqlite_engine, contact="privacy@lin.example", lang=lang)
    record_facts(console)
    import_clients(console, tmp_path, CSV)
    drafts = ("/breach draft client --lang en", "/breach draft client --lang zh",
              "/breach draft client --lang en --variant company")
    for number, draft in enumerate(drafts, start=1):
        card = say(console, "cathy", draft)
        assert "«CN» " in card and "«US» " in card and "«EU» " in card  # the approver sees every place's advice
        assert ("«CN» «US» «EU» «OTHER» advice lines kept only" if lang == "en" else "«CN» «US» «EU» «OTHER» 建议行") in card
        say(console, "erin", f"/breach approve D-{number}")
    letters = letters_in(console.say("cathy", "/breach letters D-1 D-2 D-3", "breach-1"))
    wang, amy, zhou, hans, tan, acme = (letters[f"0000{n}-{name}.txt"] for n, name in enumerate(
        ("Wang_Fang", "Amy_Lee", "Zhou_Min", "Hans_Müller", "Tan_Wei", "Acme_Trading_Ltd"), start=1))
    assert "国家反诈中心" in wang and not has(wang, US + EU + OTHER)
    assert "IdentityTheft.gov" in amy and not has(amy, CN + EU + OTHER)  # California: no Chinese police, no 个税
    assert "Equifax" in acme and not has(acme, CN + EU + OTHER)
    assert "身份保护 PIN" in zhou and not has(zhou, CN + EU + OTHER)  # a Chinese-speaking New Yorker: US advice in zh
    assert "data protection authority of the EU country where you live" in hans and not has(hans, CN + US + OTHER)
    assert "credit bureau where you live" in tan and not has(tan, CN + US + EU)
    for text in letters.values():
        assert "«" not in text
        assert "Change your online-banking passwords" in text or "修改网上银行密码" in text or text.startswith(("file,", "文件,"))
