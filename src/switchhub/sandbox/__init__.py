"""The sandbox (api.md § Sandbox, docs/sandbox.md): the hub and API unchanged, the areas behind the
scenario stubs (`stub`, `scenarios`), a movable clock per tenant (`clock`), reset from snapshots
(`snapshot`), test markers (`markers`), the hub's sandbox API (`endpoints`, `service`) and the
area's (`area_endpoints`); `wiring` is where sandbox mode plugs into the apps and the worker, and
`run` is `switchhub sandbox`."""
