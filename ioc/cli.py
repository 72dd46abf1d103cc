"""The `ioc` command line. Each sub-command is a Django management command.

ioc serve [--host H] [--port P]    the platform (uvicorn, ASGI)
ioc demo [--scale tiny|small|full] the demo province (idempotent)
ioc migrate                        create or upgrade the databases
ioc createadmin                    a system administrator
ioc units load|area|resolve ...    administrative units
ioc config docs                    regenerate docs/operations/configuration.md
ioc <any Django command>           e.g. ioc check, ioc shell
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ioc.settings")
    if not args or args[0] in {"-h", "--help", "help"}:
        sys.stdout.write(__doc__ or "")
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ioc", *args])


if __name__ == "__main__":
    main()
