"""The seam between the sync engine and every accounting system."""

from finlink.backends.records import EntityKind, RemoteRecord

__all__ = ["EntityKind", "RemoteRecord"]
