"""What every request handler shares: settings, the database, templates, the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from reports.build import Catalogue
from reports.scoring import Scorer
from web.auth import LoginThrottle, Network
from web.recheck import ClientFactory
from web.recheck_pool import RecheckPool
from web.recrawl import Recrawls


@dataclass(frozen=True, slots=True)
class AppState:
    settings: Settings
    factory: sessionmaker[Session]
    tz: ZoneInfo
    scorer: Scorer
    env: Environment
    throttle: LoginThrottle
    catalogue: Catalogue  # check titles and fixes, loaded once at start-up
    rechecks: RecheckPool  # where "re-check now" runs (its own threads, capped)
    proxies: tuple[Network, ...] = ()  # [web] trusted_proxies, parsed
    client_factory: ClientFactory | None = None
    recrawls: Recrawls | None = None  # 重新抓取本站 (web.recrawl)
    as_of: datetime | None = None  # [web] as_of: a fixed "now" for deadlines and re-crawls

    def now(self) -> datetime:
        """The moment deadlines, overdue flags and re-crawls are judged at."""
        return self.as_of.astimezone(self.tz) if self.as_of is not None \
            else datetime.now(self.tz)

    def today(self) -> date:
        return self.now().date()
