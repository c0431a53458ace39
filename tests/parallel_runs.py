"""Running a parametrized test's slow part (a firmware build and an emulator run, in subprocesses) for every
selected board two at a time, one per core of a CI machine, while each test only judges its own result.

The work of one group stays in one thread, in the order pytest would run it. ``scons`` runs are grouped by kernel
build (``by_kernel_build``): builds with the same compiler flags share their kernel objects and signature database
(build/objects/<flags>/), so they must not run at once; builds with different flags share no file. A run that
raises hands the exception to its test, not to the session. Only the selected items run (``pytest -k`` picks one
board: one run).

A plain module, like firmware_build.py, so that test modules can import it by name."""
from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

import pytest

# the emulator (Unicorn) and gcc run outside the GIL: two runs keep two cores busy
PARALLEL = max(1, min(2, os.cpu_count() or 1))


def by_kernel_build(params: dict) -> tuple:
    """The group of a ``board`` parameter: the compiler flags its kernels take."""
    from firmware_build import boards_by_kernel_build
    return next(flags for flags, boards in boards_by_kernel_build().items() if params["board"] in boards)


class ParallelRuns:
    """``run(test name, params)`` for every selected item of ``tests`` in ``request``'s module, grouped by
    ``group(params)``; ``result(request)`` is the item's return value, or raises what its run raised."""

    def __init__(self, request: pytest.FixtureRequest, tests: set[str], run: Callable[[str, dict], Any],
                 group: Callable[[dict], Any] = lambda params: params["board"]):
        self._run = run
        groups: dict[Any, list] = {}
        for item in request.session.items:
            skipped = any(mark.args and mark.args[0] is True for mark in item.iter_markers("skipif"))
            if getattr(item, "originalname", "") in tests and item.module is request.module and not skipped:
                groups.setdefault(group(item.callspec.params), []).append(
                    (item.nodeid, item.originalname, dict(item.callspec.params)))
        self._pool = ThreadPoolExecutor(max_workers=PARALLEL)
        self._futures: dict[str, Future] = {}
        for members in groups.values():
            batch = self._pool.submit(self._run_group, members)
            self._futures.update((nodeid, batch) for nodeid, _, _ in members)

    def _run_group(self, members: list) -> dict[str, tuple[bool, Any]]:
        done = {}
        for nodeid, name, params in members:
            try:
                done[nodeid] = (True, self._run(name, params))
            except Exception as error:      # the item's failure, raised again in its own test
                done[nodeid] = (False, error)
        return done

    def result(self, request: pytest.FixtureRequest) -> Any:
        ok, value = self._futures[request.node.nodeid].result()[request.node.nodeid]
        if not ok:
            raise value
        return value

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
