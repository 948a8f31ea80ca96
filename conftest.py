"""Root pytest configuration."""

from collections.abc import Iterator

import pytest

pytest_plugins = ["kaizen.core.testing.browser"]


@pytest.fixture(autouse=True)
def _fresh_service_level_configuration() -> Iterator[None]:
    """Forget service levels' cached configuration: tests reuse ids and frozen times."""
    from kaizen.slm import queries

    queries.reset()
    yield
    queries.reset()


@pytest.fixture(autouse=True)
def _fresh_cmdb_walks() -> Iterator[None]:
    """Forget remembered CMDB walks and token checks: tests reuse CI ids."""
    from kaizen.monitoring import correlation, services
    from kaizen.portfolio import impact

    correlation.forget_walks()
    services.forget_tokens()
    impact.forget_reached()
    yield
    correlation.forget_walks()
    services.forget_tokens()
    impact.forget_reached()
