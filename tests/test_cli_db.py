"""`breachbot --db URL <subcommand>`: the database named before the subcommand is the one used."""

from __future__ import annotations

from handlers.cli import main


def test_a_db_given_before_the_subcommand_is_used(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'top.db'}"
    assert main(["--db", url, "db", "upgrade"]) == 0
    assert f"database {url} at revision" in capsys.readouterr().out
    assert (tmp_path / "top.db").exists() and not (tmp_path / "breachbot.db").exists()
    assert main(["--db", url, "db", "current"]) == 0
    assert ": up to date" in capsys.readouterr().out
    assert main(["--db", url, "history"]) == 0
    assert not (tmp_path / "breachbot.db").exists()


def test_looking_at_the_default_database_does_not_create_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["db", "current"]) == 0
    assert "does not exist yet; create it with: breachbot db upgrade" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_a_bare_file_path_is_a_sqlite_database(tmp_path):
    from tests.conftest import make_settings

    path = tmp_path / "drill.db"
    assert make_settings(database_url=str(path)).sqlalchemy_url == f"sqlite:///{path}"
    assert make_settings(database_url="postgresql://u@h/db").sqlalchemy_url == "postgresql+psycopg://u@h/db"
