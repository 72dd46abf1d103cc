"""JobRunner: run a piece of work and record it on a JobRun row (status, times, log, progress).

class LoadUnits(JobRunner):
    name = "units.load"
    def handle(self, **kwargs: object) -> dict[str, object]:
        self.log("loading"); self.set_progress(0.5); return {"loaded": 10}

run = LoadUnits().run(source="x")     # a JobRun, completed or failed
"""

from __future__ import annotations

import logging
import traceback
from typing import Any, ClassVar

from django.utils import timezone

from ioc.jobs.models import JobRun, JobStatus

logger = logging.getLogger(__name__)


class JobRunner:
    name: ClassVar[str] = ""

    def __init__(self) -> None:
        self.job_run: JobRun | None = None

    def handle(self, **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError

    def log(self, message: str) -> None:
        assert self.job_run is not None
        self.job_run.log.append({"at": timezone.now().isoformat(), "message": message})
        self.job_run.save(update_fields=["log"])
        logger.info("%s: %s", self.name, message)

    def set_progress(self, fraction: float) -> None:
        assert self.job_run is not None
        self.job_run.progress = max(0.0, min(1.0, fraction))
        self.job_run.save(update_fields=["progress"])

    def run(self, **kwargs: Any) -> JobRun:
        self.job_run = JobRun.objects.create(
            name=self.name or type(self).__name__,
            status=JobStatus.RUNNING,
            started_at=timezone.now(),
        )
        try:
            result = self.handle(**kwargs)
        except Exception as exc:
            self.job_run.status = JobStatus.FAILED
            self.job_run.error = "".join(traceback.format_exception(exc))[-8000:]
            logger.exception("job %s failed", self.name)
        else:
            self.job_run.status = JobStatus.COMPLETED
            self.job_run.result = result
            self.job_run.progress = 1.0
        self.job_run.finished_at = timezone.now()
        self.job_run.save()
        return self.job_run
