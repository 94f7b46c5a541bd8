"""One scheduler per database: the lock row, its heartbeat and takeover of a stale lock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from scheduler import (
    Heartbeat,
    acquire_lock,
    holder_name,
    lock_state,
    release_lock,
    renew_lock,
)

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
STALE = timedelta(seconds=120)


def test_a_fresh_foreign_heartbeat_refuses_a_second_scheduler(
        factory: sessionmaker[Session]) -> None:
    a, b = holder_name(), holder_name()
    assert a != b
    assert acquire_lock(factory, a, STALE, now=T0)
    assert not acquire_lock(factory, b, STALE, now=T0 + timedelta(seconds=119))
    assert acquire_lock(factory, a, STALE, now=T0 + timedelta(seconds=30))  # re-entrant
    assert renew_lock(factory, a, now=T0 + timedelta(seconds=60))
    # 119 s after the last heartbeat: still fresh; 121 s: stale, taken over.
    assert not acquire_lock(factory, b, STALE, now=T0 + timedelta(seconds=179))
    assert acquire_lock(factory, b, STALE, now=T0 + timedelta(seconds=181))
    state = lock_state(factory)
    assert state is not None and state.holder == b
    # The old holder learns it lost the lock, and cannot release the new holder's.
    assert not renew_lock(factory, a, now=T0 + timedelta(seconds=182))
    release_lock(factory, a)
    assert lock_state(factory) is not None
    release_lock(factory, b)
    assert lock_state(factory) is None
    assert acquire_lock(factory, a, STALE, now=T0 + timedelta(seconds=183))


def test_heartbeat_renews_and_reports_a_takeover(factory: sessionmaker[Session]) -> None:
    me, other = holder_name(), holder_name()
    assert acquire_lock(factory, me, STALE)
    lost = threading.Event()
    beat = Heartbeat(factory, me, 0.05, lost.set)
    beat.start()
    try:
        first = lock_state(factory)
        assert first is not None
        # It keeps renewing while it holds the lock...
        for _ in range(200):
            state = lock_state(factory)
            assert state is not None
            if state.heartbeat_at > first.heartbeat_at:
                break
            threading.Event().wait(0.05)
        else:
            raise AssertionError("heartbeat never renewed")
        # ...and tells when another scheduler took the (stale-looking) lock over.
        assert acquire_lock(factory, other, STALE, now=datetime.now(UTC) + STALE * 2)
        assert lost.wait(30)
    finally:
        beat.stop()
