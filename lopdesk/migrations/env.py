"""Alembic environment: the URL comes from lopdesk's settings, batch mode for SQLite."""

from alembic import context

from lopdesk.domain.tables import metadata

config = context.config


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        from lopdesk.config import Settings
        from lopdesk.db import Database

        db = Database(Settings.from_cli(config.get_main_option("sqlalchemy.url")))
        with db.writer.connect() as connection:
            _run(connection)
        db.dispose()
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
