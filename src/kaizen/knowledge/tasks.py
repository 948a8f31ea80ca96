"""Jobs of knowledge: group inquiries into FAQ candidates (idempotent: only a queued run is done)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from kaizen.core import context

from . import faq


@db_task()  # type: ignore[untyped-decorator]
def cluster_inquiries(run_id: int) -> str:
    """Do the FAQ candidate run ``run_id``; return its final state ("" if it was not queued)."""
    with context.acting(channel=context.Channel.JOB, label="FAQ candidates"):
        run = faq.run_clustering(run_id)
    return run.state if run is not None else ""
