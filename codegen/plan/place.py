"""Pass 3 of 4, place: every buffer at a fixed offset of one arena.

Each buffer lives from the step that writes it to the last step that reads it
(inclusive). Two buffers may share bytes only when those intervals are
disjoint. Placement is greedy, largest first, each at the lowest aligned offset
that does not collide with an already placed buffer alive at the same time
(the strategy of TFLM's GreedyMemoryPlanner, which is optimal or close for the
chain-shaped graphs of keyword models).

The lower bound reported next to the plan is the largest sum of live bytes at
any step: no placement can use less.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Buffer:
    name: str
    size: int
    first: int   # step that writes it (-1: before the first step, e.g. a model input)
    last: int    # last step that reads it (a model output lives to the end)

    def overlaps_in_time(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass
class Plan:
    offsets: dict[str, int]
    arena_size: int
    lower_bound: int
    alignment: int


def align_up(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def lower_bound(buffers: list[Buffer], alignment: int = 16) -> int:
    if not buffers:
        return 0
    steps = range(min(b.first for b in buffers), max(b.last for b in buffers) + 1)
    return max(sum(align_up(b.size, alignment) for b in buffers if b.first <= s <= b.last) for s in steps)


def plan_memory(buffers: list[Buffer], alignment: int = 16) -> Plan:
    names = [b.name for b in buffers]
    if len(set(names)) != len(names):
        raise ValueError("buffer names must be unique")
    for b in buffers:
        if b.size < 0 or b.first > b.last:
            raise ValueError(f"buffer {b.name}: size {b.size}, lifetime [{b.first}, {b.last}]")
    order = sorted(buffers, key=lambda b: (-b.size, b.first, b.name))
    placed: list[tuple[int, int, Buffer]] = []   # (offset, aligned end, buffer)
    offsets: dict[str, int] = {}
    for buf in order:
        need = align_up(buf.size, alignment)
        conflicts = sorted((off, end) for off, end, other in placed if other.overlaps_in_time(buf))
        offset = 0
        for off, end in conflicts:
            if offset + need <= off:
                break
            offset = max(offset, end)
        offsets[buf.name] = offset
        placed.append((offset, offset + need, buf))
    arena = max((end for _, end, _ in placed), default=0)
    return Plan(offsets=offsets, arena_size=arena, lower_bound=lower_bound(buffers, alignment), alignment=alignment)
