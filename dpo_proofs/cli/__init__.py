"""The command line, a front door onto the pipeline: one module per command group."""
from .app import build_parser, main, main_exit

__all__ = ["main", "main_exit", "build_parser"]
