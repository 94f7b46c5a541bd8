"""Where "re-check now" runs: its own bounded thread pool, with caps per user and overall.

WHY not Starlette's thread pool: every plain (sync) handler, the login's password hash and
/healthz run there, 40 threads at most. Re-checks wait on remote servers for up to
`[web] recheck_timeout`; forty of them at once used to leave no thread for /login or
/healthz until the remote servers let go. Here they have threads of their own, at most
`recheck_max_concurrent`, and a re-check asked beyond a cap (that many running overall, or
`recheck_max_per_user` running for this user) is refused at once with `Busy`, never queued:
a queue would only turn a flood into a later flood, while the person asking is better told
to try again in a moment.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class Busy(Exception):
    """A re-check refused because a cap is reached; str() is the message for the user."""


class RecheckPool:
    def __init__(self, max_concurrent: int, max_per_user: int) -> None:
        self.max_concurrent = max_concurrent
        self.max_per_user = max_per_user
        self._executor = ThreadPoolExecutor(max_workers=max_concurrent,
                                            thread_name_prefix="recheck")
        self._lock = threading.Lock()
        self._total = 0
        self._by_user: dict[int, int] = {}

    @property
    def running(self) -> int:
        with self._lock:
            return self._total

    def _acquire(self, user_id: int) -> None:
        with self._lock:
            if self._by_user.get(user_id, 0) >= self.max_per_user:
                raise Busy(f"您已有 {self.max_per_user} 项复核正在进行，请等其完成后再试")
            if self._total >= self.max_concurrent:
                raise Busy(f"当前复核请求较多（{self.max_concurrent} 项正在进行），"
                           "请稍后再试")
            self._total += 1
            self._by_user[user_id] = self._by_user.get(user_id, 0) + 1

    def _release(self, user_id: int) -> None:
        with self._lock:
            self._total -= 1
            left = self._by_user.get(user_id, 1) - 1
            if left > 0:
                self._by_user[user_id] = left
            else:
                self._by_user.pop(user_id, None)

    async def run(self, user_id: int, work: Callable[[], T]) -> T:
        """`work()` in a re-check thread; raises Busy at once when a cap is reached. The slot
        is held until `work` returns, even if the request waiting for it is abandoned."""
        self._acquire(user_id)
        try:
            future = self._executor.submit(work)
        except BaseException:
            self._release(user_id)
            raise
        future.add_done_callback(lambda _: self._release(user_id))
        return await asyncio.wrap_future(future)

    def shutdown(self) -> None:
        """No new re-checks; those running end by their own deadline."""
        self._executor.shutdown(wait=False, cancel_futures=True)
