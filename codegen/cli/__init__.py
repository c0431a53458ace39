"""Command-line verbs, one module each; discovered by ``codegen.__main__``."""
