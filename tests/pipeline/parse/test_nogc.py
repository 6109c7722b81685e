import gc

from pipeline.parse.nogc import paused_gc


class _Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_paused_gc_restores_state_and_cycles_are_still_collected():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested: stays off until the outer block ends
            assert not gc.isenabled()
        assert not gc.isenabled()
        garbage = _Node()
        keep = [_Node() for _ in range(3)]
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # nothing left frozen
    del garbage
    assert gc.collect() >= 1  # the cycle made while paused is found by a later collection
    assert all(k.me is k for k in keep)


def test_paused_gc_leaves_a_frozen_heap_frozen():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused_gc():
            _ = [_Node() for _ in range(3)]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_paused_gc_restores_a_disabled_collector_on_error():
    gc.disable()
    try:
        try:
            with paused_gc():
                raise ValueError
        except ValueError:
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
