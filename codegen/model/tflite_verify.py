"""Verify a ``.tflite`` flatbuffer before any generated binding reads it.

The Python flatbuffer bindings trust every offset: a negative vtable offset
wraps around to the end of the buffer, a string past the end is silently cut
short, a corrupt vector length makes ``range()`` run for minutes. TFLite's
C++ ``Verifier`` (flatbuffers/verifier.h, called by
``FlatBufferModel::VerifyAndBuildFromBuffer``) refuses such files; this module
mirrors its checks so we reject exactly the files TFLite would:

* the root offset, every table, vtable, vector and string lies inside the buffer;
* scalars, offsets and vtables are aligned to their size (``VerifyAlignment``);
* offsets are non-zero and point forward (``VerifyOffset``: unsigned, > 0);
* strings are zero-terminated UTF-8 (TFLite's Python API fails on anything else);
* nesting depth <= 64 and at most 1,000,000 tables (the Verifier's defaults).

The schema is not restated here: it is read once from the generated bindings of
the ``tflite`` package (each accessor names its vtable slot and how it reads
it), so every table, including every operator's options, is checked against the
same schema the reader uses.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import re
import struct
from dataclasses import dataclass

import flatbuffers.number_types as fbn

MAX_DEPTH = 64
MAX_TABLES = 1_000_000
MAX_BUFFER = 2**31 - 1          # FLATBUFFERS_MAX_BUFFER_SIZE

# Union fields and the enum that names their member tables (tflite schema.fbs).
_UNION_ENUMS = {
    ("Operator", "BuiltinOptions"): "BuiltinOptions",
    ("Operator", "BuiltinOptions2"): "BuiltinOptions2",
    ("QuantizationParameters", "Details"): "QuantizationDetails",
    ("DimensionMetadata", "ArraySegments"): "SparseIndexVector",
    ("DimensionMetadata", "ArrayIndices"): "SparseIndexVector",
}


class VerifyError(Exception):
    """The flatbuffer is malformed; the message says where."""


@dataclass(frozen=True)
class Field:
    name: str
    slot: int          # vtable offset (4, 6, 8, ...)
    kind: str          # scalar | string | table | union | vector_scalar | vector_string | vector_table
    size: int = 0      # scalar or element width in bytes
    target: str = ""   # table class name for table / vector_table


_SLOT = re.compile(r"self\._tab\.Offset\((\d+)\)")
_FLAGS = re.compile(r"number_types\.(\w+Flags)")
_IMPORT = re.compile(r"from tflite\.(\w+) import")


def _width(flags_name: str) -> int:
    return getattr(fbn, flags_name).bytewidth


@functools.lru_cache(maxsize=None)
def schema(table: str) -> tuple[Field, ...]:
    """Fields of ``tflite.<table>``, read from its generated accessors."""
    module = importlib.import_module(f"tflite.{table}")
    source = inspect.getsource(module)
    fields: dict[int, Field] = {}
    for block in re.split(r"\n    # \w+\n    def ", source)[1:]:
        name = block.split("(", 1)[0]
        slot = _SLOT.search(block)
        if slot is None or name.endswith(("AsNumpy", "Length", "IsNone")):
            continue
        slot = int(slot.group(1))
        target = _IMPORT.search(block)
        target = target.group(1) if target else ""
        if "self._tab.Vector(o)" in block:
            if "self._tab.Indirect(x)" in block:
                field = Field(name, slot, "vector_table", 4, target)
            elif "self._tab.String(a" in block:
                field = Field(name, slot, "vector_string", 4)
            else:
                flags = _FLAGS.search(block.split("self._tab.Vector(o)", 1)[1])
                if flags is None:
                    raise RuntimeError(f"tflite.{table}.{name}: unrecognised vector accessor")
                field = Field(name, slot, "vector_scalar", _width(flags.group(1)))
        elif "self._tab.Union(" in block:
            field = Field(name, slot, "union", 4)
        elif "self._tab.Indirect(o + self._tab.Pos)" in block:
            field = Field(name, slot, "table", 4, target)
        elif "self._tab.String(o + self._tab.Pos)" in block:
            field = Field(name, slot, "string", 4)
        else:
            flags = _FLAGS.findall(block)
            flags = [f for f in flags if f != "UOffsetTFlags"]
            if not flags:
                raise RuntimeError(f"tflite.{table}.{name}: unrecognised accessor")
            field = Field(name, slot, "scalar", _width(flags[0]))
        fields.setdefault(slot, field)
    return tuple(fields[s] for s in sorted(fields))


@functools.lru_cache(maxsize=None)
def _union_members(enum_name: str) -> dict[int, str]:
    enum = importlib.import_module(f"tflite.{enum_name}")
    values = getattr(enum, enum_name)
    return {v: k for k, v in vars(values).items() if not k.startswith("_") and isinstance(v, int)}


class _Verifier:
    def __init__(self, buf: bytes):
        self.buf = buf
        self.size = len(buf)
        self.tables = 0
        self.seen: set[tuple[str, int]] = set()

    def fail(self, what: str, where: int) -> None:
        raise VerifyError(f"{what} at byte {where}")

    def check(self, pos: int, length: int, what: str) -> None:
        if pos < 0 or length < 0 or pos + length > self.size:
            self.fail(f"{what} runs past the end of the file ({self.size} bytes)", pos)

    def aligned(self, pos: int, align: int, what: str) -> None:
        if pos % align:
            self.fail(f"{what} is not aligned to {align} bytes", pos)

    def scalar(self, fmt: str, pos: int, what: str) -> int:
        width = struct.calcsize(fmt)
        self.check(pos, width, what)
        self.aligned(pos, width, what)
        return struct.unpack_from(fmt, self.buf, pos)[0]

    def offset(self, pos: int, what: str) -> int:
        """Target of the uoffset stored at ``pos`` (flatbuffers ``VerifyOffset``)."""
        value = self.scalar("<I", pos, what)
        if value == 0 or value >= 2**31:
            self.fail(f"{what} has offset {value}", pos)
        self.check(pos + value, 1, what)
        return pos + value

    def vector(self, pos: int, elem_size: int, what: str) -> tuple[int, int]:
        """(first element, length) of the vector at ``pos``."""
        length = self.scalar("<I", pos, f"{what} length")
        if length > (MAX_BUFFER - 4) // max(elem_size, 1):
            self.fail(f"{what} claims {length} elements", pos)
        self.check(pos + 4, length * elem_size, f"{what} ({length} elements)")
        return pos + 4, length

    def string(self, pos: int, what: str) -> None:
        start, length = self.vector(pos, 1, what)
        self.check(start + length, 1, f"{what} terminator")
        if self.buf[start + length] != 0:
            self.fail(f"{what} is not zero-terminated", start + length)
        try:
            self.buf[start:start + length].decode()     # flatbuffer strings are UTF-8 by definition
        except UnicodeDecodeError:
            self.fail(f"{what} is not UTF-8 text", start)

    def table(self, pos: int, name: str, depth: int) -> None:
        if (name, pos) in self.seen:
            return
        if depth > MAX_DEPTH:
            self.fail(f"{name} nested deeper than {MAX_DEPTH}", pos)
        self.tables += 1
        if self.tables > MAX_TABLES:
            self.fail(f"more than {MAX_TABLES} tables", pos)
        vtable = pos - self.scalar("<i", pos, f"{name} table")
        self.check(vtable, 4, f"{name} vtable")
        self.aligned(vtable, 2, f"{name} vtable")
        vsize, tsize = struct.unpack_from("<HH", self.buf, vtable)
        if vsize < 4 or vsize % 2:
            self.fail(f"{name} vtable has size {vsize}", vtable)
        self.check(vtable, vsize, f"{name} vtable")
        self.check(pos, tsize, f"{name} table")
        self.seen.add((name, pos))
        for field in (schema(name) if name else ()):
            if field.slot + 2 > vsize:
                continue
            voffset = struct.unpack_from("<H", self.buf, vtable + field.slot)[0]
            if voffset == 0:
                continue
            at = pos + voffset
            what = f"{name}.{field.name}"
            if field.kind == "scalar":
                self.check(at, field.size, what)
                self.aligned(at, field.size, what)
            elif field.kind == "string":
                self.string(self.offset(at, what), what)
            elif field.kind == "table":
                self.table(self.offset(at, what), field.target, depth + 1)
            elif field.kind == "union":
                self.union(name, field, vtable, vsize, pos, at, depth)
            else:
                start, length = self.vector(self.offset(at, what), field.size, what)
                if field.kind == "vector_string":
                    for i in range(length):
                        self.string(self.offset(start + 4 * i, f"{what}[{i}]"), f"{what}[{i}]")
                elif field.kind == "vector_table":
                    for i in range(length):
                        self.table(self.offset(start + 4 * i, f"{what}[{i}]"), field.target, depth + 1)

    def union(self, table: str, field: Field, vtable: int, vsize: int, pos: int, at: int, depth: int) -> None:
        what = f"{table}.{field.name}"
        type_slot = field.slot - 2          # flatc puts a union's type field in the slot before it
        type_voffset = struct.unpack_from("<H", self.buf, vtable + type_slot)[0] if type_slot + 2 <= vsize else 0
        member_type = self.buf[pos + type_voffset] if type_voffset else 0
        target = self.offset(at, what)
        if member_type == 0:
            self.fail(f"{what} is set but its type is NONE", at)
        enum = _UNION_ENUMS.get((table, field.name))
        member = _union_members(enum).get(member_type) if enum else None
        if member is None:
            self.fail(f"{what} has unknown type {member_type}", at)
        self.table(target, member, depth + 1)


def verify_model(buf: bytes) -> None:
    """Raise ``VerifyError`` unless ``buf`` is a well-formed TFLite flatbuffer."""
    if len(buf) > MAX_BUFFER:
        raise VerifyError(f"file is larger than {MAX_BUFFER} bytes")
    v = _Verifier(buf)
    root = v.offset(0, "root table offset")
    v.table(root, "Model", 0)
