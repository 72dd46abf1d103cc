"""Built-in connectors; importing the package registers them (see ``base`` for the contract)."""

from ioc.integrations.connectors import files, mqtt, push

__all__ = ["files", "mqtt", "push"]
