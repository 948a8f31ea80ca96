"""Root pytest configuration."""

pytest_plugins = ["kaizen.core.testing.browser"]
