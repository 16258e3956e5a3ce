# The shared fixtures live in testkit.py, importable by name from any test.
from testkit import landing, pushdown_bin  # noqa: F401
