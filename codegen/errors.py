"""The one exception type the command line turns into a single-line message."""


class TinyforgeError(Exception):
    """A problem with the user's input or environment, worded for the user.

    The CLI and the SCons builders print ``str(error)`` on one line and exit
    non-zero; they never show a traceback for these.
    """
