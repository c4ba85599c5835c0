"""slack_sdk's OAuth tables (installations, bots, OAuth states) on the product's own metadata and database.

The tables are slack_sdk's own definitions (`SQLAlchemyInstallationStore`, `SQLAlchemyOAuthStateStore`),
registered on `SQLModel.metadata` so the migrations create them and tests/test_migrations.py checks them;
the stores are slack_sdk's, bound to these very tables.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData
from sqlmodel import SQLModel

BOTS = "slack_bots"
INSTALLATIONS = "slack_installations"
STATES = "slack_oauth_states"


def _tables(metadata: MetaData) -> None:
    if BOTS not in metadata.tables:
        SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS)
        SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS)
        SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, STATES)


_tables(SQLModel.metadata)


def installation_store(engine: Engine, *, client_id: str) -> SQLAlchemyInstallationStore:
    """slack_sdk's installation store on this engine and the migrated tables."""
    store = SQLAlchemyInstallationStore(client_id=client_id, engine=engine, bots_table_name=BOTS,
                                        installations_table_name=INSTALLATIONS)
    store.metadata = SQLModel.metadata
    store.bots = SQLModel.metadata.tables[BOTS]
    store.installations = SQLModel.metadata.tables[INSTALLATIONS]
    return store


def state_store(engine: Engine, *, expiration_seconds: int = 600) -> SQLAlchemyOAuthStateStore:
    """slack_sdk's OAuth state store (the `state` of an install in progress) on this engine."""
    store = SQLAlchemyOAuthStateStore(expiration_seconds=expiration_seconds, engine=engine, table_name=STATES)
    store.metadata = SQLModel.metadata
    store.oauth_states = SQLModel.metadata.tables[STATES]
    return store
