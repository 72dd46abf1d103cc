import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ioc.demo import (  # noqa: F401  (the steps)
    cameras,
    charts,
    datasets,
    feedback,
    fullscale,
    geo,
    live,
    portal,
    province,
)
from ioc.demo.accounts import DEMO_USERS
from ioc.demo.models import DemoLoad
from ioc.demo.registry import SCALES, STEPS, DemoContext


class Command(BaseCommand):
    help = "Build the demo province (idempotent, deterministic) and print one login per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even on a database with other (non-demo) users.",
        )
        parser.add_argument(
            "--serve",
            action="store_true",
            help="Then serve the platform with the live sources simulated (data keeps arriving).",
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **opts: Any) -> None:
        from ioc.accounts.models import User

        # A demo database is one that was empty or already holds the demo: never publish
        # the demo's passwords into a database that real people use.
        is_demo = DemoLoad.objects.exists() or not User.objects.exists()
        if not is_demo and not opts["force"]:
            raise CommandError(
                "Cơ sở dữ liệu đã có người dùng thật; không nạp dữ liệu mẫu (dùng --force nếu "
                "chắc chắn).\nThis database has real users; refusing to load the demo "
                "(use --force if you are sure)."
            )
        scale = SCALES[opts["scale"]]
        ctx = DemoContext(
            scale=scale, rng=random.Random(f"ioc-demo-{scale.name}"), out=self.stdout.write
        )
        total = len(STEPS)
        for i, step in enumerate(STEPS, start=1):
            started = time.monotonic()
            summary = step.func(ctx)
            self.stdout.write(
                f"[{i}/{total}] {step.label}: {summary} ({time.monotonic() - started:.1f}s)"
            )
        DemoLoad.objects.create(scale=scale.name)
        self.stdout.write("")
        self.stdout.write("Logins / Tài khoản (demo only / chỉ dùng thử):")
        for demo in DEMO_USERS:
            role = demo.role.label if demo.role else "citizen / công dân"
            self.stdout.write(f"  {demo.username:<10} {demo.password:<22} {role}")
        if opts["serve"]:
            from django.core.management import call_command

            simulators = live.Simulators(web_url=f"http://{opts['host']}:{opts['port']}")
            simulators.start()
            camera_sources = cameras.CameraSources()
            kinds = camera_sources.start()
            self.stdout.write(
                "Nguồn dữ liệu mô phỏng đang gửi / simulated sources are sending"
                f" (REST, SQL, MQTT, push, drop folder; cameras: {kinds})"
            )
            try:
                call_command("serve", host=opts["host"], port=opts["port"])
            finally:
                simulators.stop()
                camera_sources.stop()
