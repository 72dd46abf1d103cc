from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from ioc import config


class Command(BaseCommand):
    help = (
        "Configuration: `ioc config docs` writes docs/operations/configuration.md and .env.example."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["docs", "show"])

    def handle(self, *args: Any, **opts: Any) -> None:
        base = Path(settings.BASE_DIR)
        if opts["action"] == "docs":
            target = base / "docs" / "operations" / "configuration.md"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(config.render_markdown(), encoding="utf-8")
            (base / ".env.example").write_text(config.render_env_example(), encoding="utf-8")
            self.stdout.write(f"wrote {target} and .env.example")
        else:
            for s in config.SETTINGS:
                value = "***" if s.secret else config.load()[s.name]
                self.stdout.write(f"{s.name}={value}")
