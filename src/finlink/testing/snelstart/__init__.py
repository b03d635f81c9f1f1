"""An in-process emulator of the SnelStart B2B API v2 for testing code that talks to SnelStart.

```python
from finlink.testing.snelstart import SnelStartSandbox, TOKEN_URL

sandbox = SnelStartSandbox()
keys = sandbox.add_administration("Acme BV")
with sandbox.client() as http:
    token = http.post(TOKEN_URL, data={"grant_type": "clientkey",
                                       "clientkey": keys.koppelsleutel}).json()["access_token"]
    http.headers.update({"Authorization": f"Bearer {token}",
                         "Ocp-Apim-Subscription-Key": keys.subscription_key})
    http.get("/relaties", params={"$filter": "Relatiecode eq 12"})
```

See the docs page "SnelStart sandbox" for what is emulated and where it follows the vendor.
"""

from finlink.testing.snelstart.admin import AdministrationKeys, SandboxAdministration
from finlink.testing.snelstart.app import CallRecord, WireRequest, WireResponse
from finlink.testing.snelstart.errors import MESSAGES, ApiError, ModelStateError
from finlink.testing.snelstart.faults import Fault, FaultKind, FaultPlan, Gate
from finlink.testing.snelstart.limits import PRODUCT_LIMITS, Limits, Product
from finlink.testing.snelstart.sandbox import (
    API_HOST,
    API_URL,
    AUTH_HOST,
    TOKEN_URL,
    SnelStartSandbox,
)
from finlink.testing.snelstart.server import SandboxServer

__all__ = [
    "API_HOST",
    "API_URL",
    "AUTH_HOST",
    "MESSAGES",
    "PRODUCT_LIMITS",
    "TOKEN_URL",
    "AdministrationKeys",
    "ApiError",
    "CallRecord",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "Gate",
    "Limits",
    "ModelStateError",
    "Product",
    "SandboxAdministration",
    "SandboxServer",
    "SnelStartSandbox",
    "WireRequest",
    "WireResponse",
]
