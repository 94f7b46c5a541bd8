"""Opening the configured database for a shell command (shared by the verbs' modules)."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import UserError
from core.settings import Settings


def open_factory(settings: Settings, *, require_schema: bool = True) -> sessionmaker[Session]:
    """A session factory on `settings.database_url`; with `require_schema`, a one-line
    UserError when the database cannot be reached or `govwatch init` has not been run."""
    from store.session import current_revision, make_engine, session_factory

    engine = make_engine(settings.database_url)
    if require_schema:
        try:
            revision = current_revision(engine)
        except OperationalError as exc:
            raise UserError(f"无法连接数据库 {engine.url!r}: {exc.orig}") from None
        if revision is None:
            raise UserError("数据库尚未初始化，请先运行 govwatch init")
    return session_factory(engine)
