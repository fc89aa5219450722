"""The hub <-> area contract (api.md "Hub ↔ T&D contract"): typed requests, answers, events, headers.

Both sides import this package and nothing of each other: the hub never imports `switchhub.area`
and the area never imports `switchhub.hub`. A grid operator's own system implements the same
contract; its published OpenAPI document is generated from these models.
"""
