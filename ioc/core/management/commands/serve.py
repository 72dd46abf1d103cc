from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the platform with uvicorn (ASGI); static files through WhiteNoise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--reload", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        import uvicorn

        self.stdout.write(f"IOC: http://{opts['host']}:{opts['port']}/  (Ctrl+C to stop)")
        uvicorn.run(
            "ioc.asgi:application",
            host=opts["host"],
            port=opts["port"],
            workers=opts["workers"],
            reload=opts["reload"],
            log_level="info",
            proxy_headers=True,
        )
