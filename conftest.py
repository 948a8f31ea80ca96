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
    """Forget monitoring's short-lived CMDB walks: tests reuse CI ids."""
    from kaizen.monitoring import correlation

    from kaizen.monitoring import services

    correlation.forget_walks()
    services.forget_tokens()
    yield
    correlation.forget_walks()
    services.forget_tokens()
