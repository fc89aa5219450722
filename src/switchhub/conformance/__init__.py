"""The area contract's conformance suite (api.md "Hub ↔ T&D contract"): what a grid operator runs
against its own T&D system before the hub is pointed at it.

It plays the hub: mutual TLS with the hub's client certificate, the acting-operator headers, and
checks every answer against the published contract document (`switchhub contract openapi`), the
refusal codes it lists, the visibility per relationship of domain.md, the applications feed (the
events' pull side) and the hub's deadline. `run_conformance(base_url, options) -> Report` is the
entry point of the CLI (`switchhub conformance`) and of tests.
"""

from switchhub.conformance.report import CheckResult, Report
from switchhub.conformance.runner import Options, arun_conformance, run_conformance

__all__ = ["CheckResult", "Options", "Report", "arun_conformance", "run_conformance"]
