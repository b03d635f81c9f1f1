"""An in-process Exact Online REST API for tests: ``ExactSandbox``.

Faithful to the vendor (reference ``exact-online.md``): OAuth with Exact's token rules,
divisions and consent, per-division rate limits and the error budget, OData v2 paging and
filters, Exact's wire formats and the entities finlink uses, webhooks signed like Exact's.
Use it as an ``httpx.MockTransport`` (:meth:`ExactSandbox.transport`,
:meth:`ExactSandbox.client`) or as a loopback HTTP server (:meth:`ExactSandbox.serve`).
"""

from finlink.testing.exact.faults import Fault, FaultPlan
from finlink.testing.exact.oauth import ExactApp
from finlink.testing.exact.sandbox import ExactSandbox
from finlink.testing.exact.server import ServerHandle
from finlink.testing.exact.webhooks import WebhookDelivery, sign, verify

__all__ = [
    "ExactApp",
    "ExactSandbox",
    "Fault",
    "FaultPlan",
    "ServerHandle",
    "WebhookDelivery",
    "sign",
    "verify",
]
