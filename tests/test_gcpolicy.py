"""crawler.gcpolicy: batch work collects less often, and the normal policy comes back."""

from __future__ import annotations

import gc
import threading

from crawler.gcpolicy import THRESHOLDS, batch_gc


def test_batch_gc_sets_and_restores_the_policy() -> None:
    before = gc.get_threshold()
    assert before != THRESHOLDS
    frozen_before = gc.get_freeze_count()
    with batch_gc():
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > frozen_before  # what existed is out of the scans
        with batch_gc():  # nested: still batch policy, and not restored by the inner exit
            pass
        assert gc.get_threshold() == THRESHOLDS
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen_before


def test_batch_gc_holds_while_any_thread_is_inside() -> None:
    before = gc.get_threshold()
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with batch_gc():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    assert inside.wait(10)
    with batch_gc():
        pass
    assert gc.get_threshold() == THRESHOLDS  # the other thread is still in its block
    leave.set()
    thread.join()
    assert gc.get_threshold() == before


def test_garbage_cycles_are_still_collected() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    import weakref

    with batch_gc():
        first = weakref.ref(Node())
        for _ in range(4 * THRESHOLDS[0]):  # garbage cycles, no explicit gc.collect()
            Node()
        assert first() is None  # the automatic collector reclaimed the first one
