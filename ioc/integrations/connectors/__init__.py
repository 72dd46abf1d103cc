"""Built-in connectors; importing the package registers them (see ``base`` for the contract)."""

from ioc.integrations.connectors import files, mqtt, push, rest, sql

__all__ = ["files", "mqtt", "push", "rest", "sql"]
