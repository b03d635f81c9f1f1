"""The sandbox's resources, one module per group of SnelStart endpoints.

Each module exposes ``ROUTES``: ``(method, path pattern, handler)`` triples. A pattern is a
tuple of segments where ``"{id}"``-style segments capture a value; a handler takes a
:class:`~finlink.testing.snelstart.entities.base.Call` and returns a
:class:`~finlink.testing.snelstart.entities.base.Reply`.
"""
