"""API models of the usage routes: the contract's models are the hub's answers (the hub forwards them
after its visibility re-check), named here for the routes."""

from __future__ import annotations

from switchhub.contract.usage import (
    UsageAnswer,
    UsageBatchAnswer,
    UsageBatchInquiryRequest,
    UsageDecisionRequest,
    UsageInquiryRequest,
    UsagePasswordAnswer,
    UsagePasswordRequest,
    UsageReviewDetail,
    UsageReviewPage,
)

DOCUMENT_MEDIA = {t: {"schema": {"type": "string", "format": "binary"}}
                  for t in ("application/pdf", "image/jpeg", "image/png", "image/gif")}

__all__ = ["UsageAnswer", "UsageBatchAnswer", "UsageBatchInquiryRequest", "UsageDecisionRequest", "UsageInquiryRequest", "UsagePasswordAnswer",
           "UsagePasswordRequest", "UsageReviewDetail", "UsageReviewPage", "DOCUMENT_MEDIA"]
