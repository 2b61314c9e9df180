"""Channels beyond the in-app list: email, push and signed webhooks. Deliveries are rows written in
the consumer's transaction (nothing acknowledged is lost) and sent by a dispatcher off the
consumer path, so a slow receiver never slows the activity flow.

The consumer calls two hooks, both inside its unit of work:
- `on_notification(uow, notification, preferences)`: after an in-app notification row is stored
  (flushed, so it has an id): queue its email/push deliveries as the recipient's preferences allow.
- `on_event(uow, topic, event, meta)`: for every consumed event: queue one delivery per webhook
  subscribed to that event type."""

from __future__ import annotations


async def on_notification(uow, notification, preferences) -> None:
    """Queue email/push deliveries of one stored notification (none yet)."""


async def on_event(uow, topic: str, event, meta) -> None:
    """Queue webhook deliveries of one consumed event (none yet)."""
