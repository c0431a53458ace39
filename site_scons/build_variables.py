"""Every build variable ``scons`` takes (``name=value`` on the command line), declared once with SCons
``Variables``: its kind, its allowed values, its default and its help. ``scons -h`` lists them; an unknown
name stops the build with one line that names the closest known one ("did you mean inputs=?"), and a value
of the wrong kind stops it with one line saying what is expected.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

import SCons.Script as S

EXAMPLES = """\
tinyforge build: scons board=B [model=M.tflite] [name=value ...] [test|profile|flash|lib]

  scons board=bluepill test                                   the demo: the default model on its clips
  scons board=efr32mg24 test model=../shared/models/micro_speech_quantized.tflite inputs="../shared/audio/*.wav"
  scons board=bluepill profile model=M.tflite vectors=1       per-layer instructions in the emulator
  scons board=efr32mg12 flash dryrun=1 flasher=jlink          print (and prepare) the flash command
  scons board=efr32mg24 lib prefix=kws arena=external         the model as a C library for your firmware

Build variables:
"""


@dataclass(frozen=True)
class Variable:
    name: str
    help: str
    default: str | None = None        # None: not set unless given
    choices: tuple[str, ...] = ()     # the allowed values, when there is a fixed set
    kind: str = "text"                # text, path, count (a whole number), or choice

    def describe(self) -> str:
        allowed = f" One of: {', '.join(self.choices)}." if self.choices else ""
        kind = {"count": " A whole number.", "path": " A path."}.get(self.kind, "")
        return f"{self.help}.{kind}{allowed}"

    def check(self, value: str) -> str | None:
        """The one-line problem with ``value``, or None."""
        if self.choices and value not in self.choices:
            return f"{self.name}={value}: expected {' or '.join(self.choices)}"
        if self.kind == "count":
            try:
                int(value)
            except ValueError:
                return f"{self.name}={value}: expected a whole number"
        return None


VARIABLES = [
    Variable("board", "the board file, by name (boards/<name>.toml) or path", "bluepill", kind="path"),
    Variable("model", "the .tflite model (default: models/kws_yes_no.tflite)", kind="path"),
    Variable("inputs", "test inputs: space-separated .wav or .npy files or glob patterns"),
    Variable("vectors", "seeded random test inputs when inputs= is not given", "3", kind="count"),
    Variable("recipe", "the feature recipe for .wav inputs (default: inferred from the model's input shape)"),
    Variable("optimize", "size: the weights stay within the bytes the .tflite holds for them (layers give up "
             "larger, faster layouts, least work per byte first); speed: every layer's fastest layout, the size "
             "report says what it costs", "size", ("size", "speed"), "choice"),
    Variable("labels", "the output labels: a,b,c or a file with one per line"),
    Variable("frontend", "host: features embedded; device: PCM embedded and the firmware computes features",
             "host", ("host", "device"), "choice"),
    Variable("app", "test: run the embedded inputs; stream: listen to stream=; evaluate: run inputs the host "
             "offers (python -m codegen evaluate)", "test", ("test", "stream", "evaluate"), "choice"),
    Variable("stream", "app=stream: the 16 kHz mono 16-bit .wav the firmware listens to", kind="path"),
    Variable("inference_every", "app=stream: run the model every this many 20 ms hops", "5", kind="count"),
    Variable("average_window_ms", "app=stream: the recognizer's averaging window", "1000", kind="count"),
    Variable("detection_threshold", "app=stream: the averaged score (0..255) that makes a detection", "185",
             kind="count"),
    Variable("suppression_ms", "app=stream: quiet time after a detection", "1500", kind="count"),
    Variable("minimum_count", "app=stream: results the average needs", "3", kind="count"),
    Variable("count", "test: yes counts every instruction (per-input and per-hop figures); no runs about 4x "
             "faster without them", "yes", ("yes", "no"), "choice"),
    Variable("progress", "yes: a progress bar on long emulator runs (streams), on a terminal; no: none", "yes",
             ("yes", "no"), "choice"),
    Variable("max_instructions", "the emulator's instruction budget (a hang becomes a timeout)", "500000000",
             kind="count"),
    Variable("debug", "1: check every kernel call's arena ranges (build/<board>/<stem>-debug/)", "0", ("0", "1"),
             "choice"),
    Variable("emulator", "where test runs the firmware", "tinyforge", ("tinyforge", "renode"), "choice"),
    Variable("image", "flash: this ELF (with its .bin and .hex beside it) instead of the one built", kind="path"),
    Variable("flasher", "flash: the tool (the board file's [flash.tools.<name>]; default: the first installed)"),
    Variable("probe", "flash: the debug probe's serial number, when several are plugged in"),
    Variable("dryrun", "flash: 1 prints the command (and writes any script it names) without running it", "0",
             ("0", "1"), "choice"),
    Variable("prefix", "lib: the C prefix of the library's API (default: the model's file name)"),
    Variable("arena", "lib: static (the library owns its arena) or external (the caller passes one to P_init)",
             "static", ("static", "external"), "choice"),
    Variable("verbose", "1: print compiler command lines", "0", ("0", "1"), "choice"),
]
BY_NAME = {v.name: v for v in VARIABLES}


def declare() -> S.Variables:
    variables = S.Variables(None, S.ARGUMENTS)
    for v in VARIABLES:
        variables.Add(v.name, v.describe(), v.default)
    return variables


def help_text(variables: S.Variables, env) -> str:
    def row(env, name, help, default, actual, aliases=None):
        shown = "" if default is None else f" (default {default})"
        return f"  {name}={shown}\n      {help}\n"
    variables.FormatVariableHelpText = row
    return EXAMPLES + variables.GenerateHelpText(env)


def check(arguments: dict) -> str | None:
    """The first problem with the command line's variables, as one line, or None."""
    for name, value in arguments.items():
        if name not in BY_NAME:
            close = difflib.get_close_matches(name, BY_NAME, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}=?" if close else ""
            return f"unknown build variable '{name}'{hint} (scons -h lists them)"
        problem = BY_NAME[name].check(value)
        if problem:
            return problem
    return None
