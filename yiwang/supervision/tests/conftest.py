"""Supervision tests reuse the cases' item and staff fixtures."""

import pytest

from yiwang.cases.tests.conftest import *  # noqa: F403
from yiwang.cases.tests.conftest import SHANGHAI, at  # noqa: F401


@pytest.fixture(autouse=True)
def shipped_rule_sets(request: pytest.FixtureRequest) -> None:
    """The presets (time-limit ladders, the default scoring scheme) come with migrations,
    but a transactional test (a browser test, say) empties the tables for those that
    follow: install them again where a test uses the database."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    from yiwang.supervision.scoring import install_default_scheme
    from yiwang.supervision.services import install_presets

    install_presets()
    install_default_scheme()
