"""Built-in connectors; importing the package registers them (see ``base`` for the contract)."""

from ioc.integrations.connectors import files, push

__all__ = ["files", "push"]
