"""Render ``templates/*.j2`` into generated source files, one shared helper.

Every generated file (linker script, board header, model.c, main.c, ...) goes
through :func:`render` so that they all

* start with the same banner: which codegen module wrote it, from which inputs
  (each with its SHA-256), and DO NOT EDIT; no timestamps, so the output is a
  pure function of the inputs and rebuilds are reproducible;
* are rendered with ``StrictUndefined`` (a misspelt variable is an error, not
  an empty string) and ``keep_trailing_newline``;
* are written only when their content changed, so SCons (and anything else
  that looks at mtimes) does not rebuild dependents needlessly.

Templates hold the shape of the file; the Python caller computes every number
and passes it in the context.

Banner placement: if the template mentions ``{{ banner }}`` it decides where
the banner goes (e.g. after a shebang); otherwise the banner is prepended. The
comment syntax follows the output's suffix (``/* */`` for C, headers and
linker scripts, ``#`` for Python/TOML/SCons/shell/Renode scripts).

Example::

    from codegen.emit.render import render
    render("model.c.j2", build / "model.c", generator="model",
           inputs=[tflite_path, board.path], tensors=tensors, ops=ops)
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import jinja2
import jinja2.meta

from codegen.errors import TinyforgeError

from codegen.paths import REPO_ROOT, TEMPLATES_DIR  # noqa: F401  (re-exported)

_HASH_COMMENT_SUFFIXES = {".py", ".toml", ".sh", ".resc", ".robot", ".cfg", ".txt", ".mk", ""}
_HASH_COMMENT_NAMES = {"SConstruct", "SConscript", "Makefile"}

_env: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    """The shared jinja2 environment over ``templates/`` (StrictUndefined)."""
    global _env
    if _env is None:
        _env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
        )
        _env.filters["hex32"] = lambda v: f"0x{int(v) & 0xFFFFFFFF:08X}"
        _env.filters["hex"] = lambda v: f"0x{int(v):X}"
        _env.filters["c_string"] = c_string
        _env.filters["c_values"] = c_values
        _env.filters["c_double"] = c_double
        _env.filters["c_floats"] = c_floats
    return _env


VALUES_PER_LINE = 16


def c_values(values, per_line: int = VALUES_PER_LINE) -> str:
    """Comma-separated integers, ``per_line`` to a line, indented: the body of a C initializer."""
    values = [int(v) for v in values]
    rows = (values[i:i + per_line] for i in range(0, len(values), per_line))
    return ",\n".join("    " + ", ".join(map(str, row)) for row in rows)


def c_double(value: float) -> str:
    """A C double literal that reads back as exactly ``value`` (repr is the shortest round-trip form)."""
    return repr(float(value))


def c_floats(values, per_line: int = VALUES_PER_LINE // 2) -> str:
    """The body of a float initializer. Every value is a float32, so its shortest double repr, read
    as a float literal, is that same float32."""
    rows = [list(values)[i:i + per_line] for i in range(0, len(values), per_line)]
    return ",\n".join("    " + ", ".join(f"{float(v)!r}f" for v in row) for row in rows)


def c_string(text: str) -> str:
    """A C string literal for ``text`` (ASCII; anything else escaped in octal)."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code < 0x100:
            out.append(f"\\{code:03o}")
        else:
            raise TinyforgeError(f"cannot put non-latin-1 character {ch!r} in a C string")
    return '"' + "".join(out) + '"'


def _display_name(path: Path) -> str:
    """Inputs are named relative to the repository so banners match across checkouts."""
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def input_digests(inputs) -> list[tuple[str, str]]:
    """``[(display name, sha256 hex)]`` for each input file; missing files are an error."""
    result = []
    for item in inputs:
        path = Path(item)
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise TinyforgeError(f"{path}: cannot read generator input: {exc.strerror}") from None
        result.append((_display_name(path), digest))
    return result


def _comment_style(out_path: Path) -> str:
    if out_path.name in _HASH_COMMENT_NAMES or out_path.suffix in _HASH_COMMENT_SUFFIXES:
        return "#"
    if out_path.suffix in (".md", ".html"):
        return "html"
    return "c"


def make_banner(generator: str, inputs, style: str = "c") -> str:
    """The DO-NOT-EDIT banner text (no trailing newline).

    ``inputs`` are file paths; each is listed with the SHA-256 of its content.
    """
    lines = [f"Generated by tinyforge codegen {generator}. DO NOT EDIT.",
             "Regenerate instead; inputs (SHA-256):"]
    for name, digest in input_digests(inputs):
        lines.append(f"  {name}")
        lines.append(f"    sha256:{digest}")
    if style == "#":
        return "\n".join(f"# {line}".rstrip() for line in lines)
    if style == "html":
        return "\n".join(["<!--", *(f"  {line}".rstrip() for line in lines), "-->"])
    return "\n".join(["/*", *(f" * {line}".rstrip() for line in lines), " */"])


@functools.lru_cache(maxsize=None)
def _places_banner(template_name: str, source: str) -> bool:
    """Whether the template puts ``banner`` itself; keyed by its text, so an edited template is parsed again.
    (Parsing a template for this costs as much as rendering it, and every build renders each one.)"""
    return "banner" in jinja2.meta.find_undeclared_variables(environment().parse(source))


def render_text(template_name: str, generator: str, inputs, style: str = "c", **context) -> str:
    """Render to a string (banner included); see :func:`render`."""
    env = environment()
    try:
        source = env.loader.get_source(env, template_name)[0]
        template = env.get_template(template_name)
    except jinja2.TemplateNotFound:
        raise TinyforgeError(f"template '{template_name}' not found in {TEMPLATES_DIR}") from None
    template_path = TEMPLATES_DIR / template_name
    banner = make_banner(generator, [*inputs, template_path], style)
    wants_banner = _places_banner(template_name, source)
    try:
        body = template.render(banner=banner, **context) if wants_banner else template.render(**context)
    except jinja2.UndefinedError as exc:
        raise TinyforgeError(f"template '{template_name}': {exc}") from None
    if not wants_banner:
        body = banner + "\n" + body
    if not body.endswith("\n"):
        body += "\n"
    return body


def write_if_changed(out_path: Path, text: str) -> bool:
    """Write ``text`` unless the file already holds exactly it; True if written."""
    out_path = Path(out_path)
    data = text.encode("utf-8")
    try:
        if out_path.read_bytes() == data:
            return False
    except OSError:
        pass
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out_path)
    return True


def render(template_name: str, out_path, generator: str, inputs, **context) -> Path:
    """Render ``templates/<template_name>`` to ``out_path``; return the path.

    ``generator`` names the codegen module for the banner (e.g.
    ``"board_support"``); ``inputs`` are the files (``Path`` or ``str``
    paths) the output is derived from; the template itself is added
    automatically. ``context`` becomes template variables. The file is only
    rewritten when its content changes.
    """
    out_path = Path(out_path)
    text = render_text(template_name, generator, inputs, style=_comment_style(out_path), **context)
    write_if_changed(out_path, text)
    return out_path
