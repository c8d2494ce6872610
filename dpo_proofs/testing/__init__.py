"""The regression kit, a front door onto the pipeline: assertions for your own tests,
implementation checks, snapshots, hypothesis strategies and the pytest plugin."""
from .assertions import *  # noqa: F401,F403
from .assertions import __all__  # noqa: F401
