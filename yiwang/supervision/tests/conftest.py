"""Supervision tests reuse the cases' item and staff fixtures."""

from yiwang.cases.tests.conftest import *  # noqa: F403
from yiwang.cases.tests.conftest import SHANGHAI, at  # noqa: F401
