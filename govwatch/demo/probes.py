"""The demo's probe pass: one home-page probe of every demo site, recorded at the demo's instant.

The demo world is judged as of its own instant (`--as-of`, November 2026) whatever day the demo
runs, and the probe-based checks (https.missing, availability.*) read the probes taken up to
that instant. So the demo probes each site for real (over loopback, through the same client as
`govwatch probe`: connect_to, the egress policy, certificate verification against the demo CA
named in `[probe] ca_file`) and records each outcome as taken `PROBE_LEAD` before the demo's
instant. Only the demo does this; `govwatch probe` always records the real time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta

from core.settings import Settings
from crawler.probe import ProbeOutcome, active_sites, probe_site, store_outcome
from store.database import open_factory

PROBE_LEAD = timedelta(minutes=30)


def probe_demo_sites(settings: Settings, as_of: datetime) -> list[ProbeOutcome]:
    """Probe every registered site once and store the outcomes stamped `PROBE_LEAD` before
    `as_of`; returns them in registry order."""
    factory = open_factory(settings)
    try:
        with factory() as session:
            entries = active_sites(session)
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(entries)))) as pool:
            outcomes = list(pool.map(lambda entry: probe_site(entry, settings), entries))
        at = as_of - PROBE_LEAD
        stamped = [replace(o, started_at=at) for o in outcomes]
        with factory.begin() as session:
            for outcome in stamped:
                store_outcome(session, outcome)
        return stamped
    finally:
        factory.kw["bind"].dispose()
