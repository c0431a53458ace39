"""One module per console UART IP, named as its driver ``firmware/board/console_<kind>.c``;
each defines ``MODEL``, a ``bus.ConsoleModel`` that turns transmitted bytes into the
emulator's console output and checks the UART's clock, enable and baud divisor.
"""
