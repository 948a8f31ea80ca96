"""Kaizen's production settings plus one minimal view (the baseline beside the real API)."""

from kaizen.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
