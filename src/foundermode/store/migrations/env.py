from alembic import context

from foundermode.store import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("foundermode runs its migrations through foundermode.store.migrate")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
