"""CMDB background jobs: imports submitted through the API."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import db_task

from kaizen.core import context

from . import imports
from .models import ImportJob

log = logging.getLogger("kaizen.cmdb")


@db_task()  # type: ignore[untyped-decorator]
def run_import_job(job_id: int) -> None:
    """Run a queued import (idempotent: a job that has started or finished is left alone)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id, state=ImportJob.State.QUEUED).first()
        if job is None:
            return
        job.state = ImportJob.State.RUNNING
        job.save(update_fields=["state"])

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed=done, total=total)

    options = job.options
    try:
        with job.file.open("rb") as fh:
            content, kind = imports.read_upload(fh.read(), job.file_name, options.get("encoding") or None)
        with context.acting(user=job.created_by, channel=context.Channel.JOB, label="cmdb import"):
            report = imports.run_import(
                content,
                kind=kind,
                actor=job.created_by,
                dry_run=bool(options.get("dry_run")),
                continue_on_error=bool(options.get("continue_on_error")),
                default_organisation=options.get("organisation") or None,
                change=options.get("change") or "",
                progress=progress,
            )
        job.report = report.as_dict()
        job.state = ImportJob.State.DONE
    except imports.ImportFileError as exc:
        job.report = {"errors": [{"row": 0, "field": "", "reason": str(exc)}], "applied": False}
        job.state = ImportJob.State.FAILED
    except Exception:  # the job must end in a visible state; the log has the details
        log.exception("CMDB import %s failed", job_id)
        job.report = {"errors": [{"row": 0, "field": "", "reason": "internal error, see the server log"}]}
        job.state = ImportJob.State.FAILED
    job.finished_at = timezone.now()
    job.processed = job.report.get("rows", job.processed)
    job.total = job.report.get("rows", job.total)
    job.save(update_fields=["report", "state", "finished_at", "processed", "total"])
    job.file.delete(save=False)
