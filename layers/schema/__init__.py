"""The database schema: Alembic migrations (layers/migrations, hand-written; autogenerate is disabled) and
`migrate()`, which also (re)installs the server functions the code's SQL defines."""
