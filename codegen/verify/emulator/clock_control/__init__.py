"""One module per clock-control IP; each defines ``MODEL``, a ``bus.ClockControl``.

A chip file (``codegen/target/chips/*.json``) names its model in ``clock_model``.
"""
