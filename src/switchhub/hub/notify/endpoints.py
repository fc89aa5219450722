"""Thin routes: webhooks, e-mail subscriptions and the delivery log of the caller's operator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from switchhub.httpkit import json_body
from switchhub.hub.deps import actor_of, require, tx
from switchhub.hub.notify import service
from switchhub.hub.notify.schemas import (
    DeliveryPage,
    Subscription,
    SubscriptionInput,
    SubscriptionList,
    WebhookCreated,
    WebhookInput,
    WebhookList,
    WebhookTestQueued,
)
from switchhub.hub.notify.urlpolicy import WebhookPolicy
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock

router = APIRouter(prefix="/api/v1", tags=["notifications"])
MANAGE = service.MANAGE
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]  # a bigint key; larger numbers are no row


def webhook_policy(request: Request) -> WebhookPolicy:
    """The allow-list from the settings; `app.state.webhook_resolver` replaces DNS in tests."""
    return WebhookPolicy.from_settings(request.app.state.settings,
                                       getattr(request.app.state, "webhook_resolver", None))


@router.get("/webhooks", summary="Webhook一覧", response_model=WebhookList,
            openapi_extra={"x-interface-ids": ["SH_WEBHOOKS"]})
async def list_webhooks(request: Request, caller: Caller = Depends(require(MANAGE))) -> dict:
    async with tx(request) as conn:
        items = await service.list_webhooks(conn, caller)
    return {"total": len(items), "items": items}


@router.post("/webhooks", status_code=201, summary="Webhookの登録（署名用シークレットはこの応答でのみ表示）",
             response_model=WebhookCreated, openapi_extra={"x-interface-ids": ["SH_WEBHOOKS"]})
async def create_webhook(request: Request, caller: Caller = Depends(require(MANAGE)),
                         body: WebhookInput = json_body(WebhookInput)) -> dict:
    hook = await service.check_webhook(body.url, body.event_kinds, webhook_policy(request))
    async with tx(request) as conn:
        return await service.create_webhook(conn, actor_of(request, caller), hook)


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Webhookの停止",
               openapi_extra={"x-interface-ids": ["SH_WEBHOOKS"]})
async def delete_webhook(webhook_id: RowId, request: Request, caller: Caller = Depends(require(MANAGE))) -> None:
    async with tx(request) as conn:
        await service.delete_owned(conn, actor_of(request, caller), "webhooks", webhook_id)


@router.post("/webhooks/{webhook_id}:test", status_code=202, summary="Webhookのテスト配信（webhook.test を署名付きで送信）",
             response_model=WebhookTestQueued, openapi_extra={"x-interface-ids": ["SH_WEBHOOKS"]})
async def test_webhook(webhook_id: RowId, request: Request, caller: Caller = Depends(require(MANAGE))) -> dict:
    async with tx(request) as conn:
        return await service.send_test_delivery(conn, actor_of(request, caller), webhook_id, get_clock().now())


@router.get("/subscriptions", summary="メール通知の購読一覧", response_model=SubscriptionList,
            openapi_extra={"x-interface-ids": ["SH_SUBSCRIPTIONS"]})
async def list_subscriptions(request: Request, caller: Caller = Depends(require(MANAGE))) -> dict:
    async with tx(request) as conn:
        items = await service.list_subscriptions(conn, caller)
    return {"total": len(items), "items": items}


@router.post("/subscriptions", status_code=201, summary="メール通知の購読",
             response_model=Subscription, openapi_extra={"x-interface-ids": ["SH_SUBSCRIPTIONS"]})
async def create_subscription(request: Request, caller: Caller = Depends(require(MANAGE)),
                              body: SubscriptionInput = json_body(SubscriptionInput)) -> dict:
    async with tx(request) as conn:
        return await service.create_subscription(conn, actor_of(request, caller), body.email.strip(),
                                                 body.event_kind)


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="メール通知の購読解除",
               openapi_extra={"x-interface-ids": ["SH_SUBSCRIPTIONS"]})
async def delete_subscription(subscription_id: RowId, request: Request,
                              caller: Caller = Depends(require(MANAGE))) -> None:
    async with tx(request) as conn:
        await service.delete_owned(conn, actor_of(request, caller), "subscriptions", subscription_id)


@router.get("/notifications/deliveries", summary="通知の配信ログ", response_model=DeliveryPage,
            openapi_extra={"x-interface-ids": ["SH_DELIVERIES"]})
async def deliveries(request: Request, page: Annotated[int, Query(ge=1, le=10000)] = 1,
                     per_page: Annotated[int, Query(ge=1, le=100)] = 20,
                     status: Annotated[str | None, Query(max_length=20, description="配信の状態で絞り込み",
                                                         json_schema_extra={"enum": list(service.DELIVERY_STATUSES)})
                                       ] = None,
                     event_kind: Annotated[str | None, Query(max_length=60, description="イベント種別で絞り込み",
                                                             json_schema_extra={"enum": sorted(service.DELIVERY_KINDS)})
                                           ] = None,
                     caller: Caller = Depends(require(MANAGE))) -> dict:
    async with tx(request) as conn:
        return await service.delivery_log(conn, caller, page, per_page, status or "", event_kind or "")
