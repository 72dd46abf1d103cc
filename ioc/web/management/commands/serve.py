"""ioc serve: the platform on uvicorn (ASGI), with the scheduler and a task worker inside
unless IOC_EMBEDDED_WORKER=false (then run `ioc worker` processes beside it)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the platform with uvicorn (ASGI); static files through WhiteNoise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--reload", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:

        self.stdout.write(f"IOC: http://{opts['host']}:{opts['port']}/  (Ctrl+C to stop)")
        background = None
        if settings.IOC_EMBEDDED_WORKER and not opts["reload"]:
            from ioc.integrations.worker import Background

            background = Background()
            background.start()
            self.stdout.write("Scheduler and task worker: embedded (IOC_EMBEDDED_WORKER)")
        try:
            self._serve(opts)
        finally:
            if background is not None:
                background.shutdown()

    def _serve(self, opts: dict[str, Any]) -> None:
        import uvicorn

        uvicorn.run(
            "ioc.asgi:application",
            host=opts["host"],
            port=opts["port"],
            workers=opts["workers"],
            reload=opts["reload"],
            log_level="info",
            proxy_headers=True,
        )
