"""Inputs and answers of the notification API: webhooks, e-mail subscriptions, the delivery log."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from switchhub.hub.notify.service import DELIVERY_KINDS, EVENT_KINDS

EventKind = Annotated[str, Field(json_schema_extra={"enum": sorted(EVENT_KINDS)}, description="イベント種別")]
DeliveryKind = Annotated[str, Field(json_schema_extra={"enum": sorted(DELIVERY_KINDS)},
                                    description="イベント種別（webhook.test: テスト配信）")]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
ANSWER = ConfigDict(extra="forbid")


class WebhookInput(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    url: str = Field(min_length=8, max_length=500, description="https:// の公開アドレス（内部アドレスは不可）",
                     json_schema_extra={"format": "uri", "pattern": "^https://"})
    event_kinds: list[EventKind] = Field(default_factory=list, max_length=20, description="空: すべてのイベント")


class SubscriptionInput(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    email: str = Field(min_length=3, max_length=200, json_schema_extra={"format": "email"})
    event_kind: str = Field(max_length=60, json_schema_extra={"enum": sorted(EVENT_KINDS)})


class Webhook(BaseModel):
    model_config = ANSWER
    id: int
    url: str
    event_kinds: list[EventKind] = Field(description="空: すべてのイベント")
    active: bool
    created_at: Timestamp


class WebhookCreated(BaseModel):
    """The registered webhook with its signing secret, shown only in this answer."""
    model_config = ANSWER
    id: int
    url: str
    event_kinds: list[EventKind]
    secret: str = Field(description="署名用シークレット（この応答でのみ表示）")
    active: bool
    created_at: Timestamp


class WebhookList(BaseModel):
    model_config = ANSWER
    total: int
    items: list[Webhook]


class Subscription(BaseModel):
    model_config = ANSWER
    id: int
    email: str
    event_kind: EventKind


class SubscriptionList(BaseModel):
    model_config = ANSWER
    total: int
    items: list[Subscription]


class Delivery(BaseModel):
    model_config = ANSWER
    id: int
    channel: Literal["email", "webhook"]
    target: str = Field(description="宛先（メールアドレス・URL）")
    event_id: str
    event_kind: DeliveryKind
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: Timestamp
    last_error: str
    delivered_at: Timestamp | None
    created_at: Timestamp


class DeliveryPage(BaseModel):
    model_config = ANSWER
    total: int
    page: int
    per_page: int
    items: list[Delivery]


class WebhookTestQueued(BaseModel):
    """The queued test delivery; its outcome appears in the delivery log."""
    model_config = ANSWER
    delivery_id: int
    event_id: str
    status: Literal["pending"]
