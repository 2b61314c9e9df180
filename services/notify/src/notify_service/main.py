"""Entry point of the notify service (HTTP :8005)."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from pydantic import Field

from kinerja_kit.calendar import CalendarCache
from kinerja_kit.service import ServiceRuntime, ServiceSpec
from notify_service import delivery
from notify_service.api.webhooks import router as webhooks_router
from notify_service.api.routes import router
from notify_service.api.stream import StreamSettings
from notify_service.application.notifications import Context
from notify_service.domain.digest import DigestRule
from notify_service.handlers.consumers import register
from notify_service.region import load_templates
from notify_service.reminders import LowActivityReminders
from notify_service.persistence.tables import metadata


class NotifySettings(delivery.DeliverySettings):
    """Notify's settings: the email channel and the dispatcher (delivery.DeliverySettings)."""

    # in-app (issue 12): digest, low-activity reminder, stream
    digest_threshold: int = Field(default=5, ge=0, description="a superior's first this many tasks within the "
                                  "window are notified one by one, later ones update one digest; 0 = no digest")
    digest_window_minutes: float = Field(default=30.0, gt=0, description="the digest's window")
    low_activity_threshold: int = Field(default=10, ge=0, description="employees with fewer activities logged in "
                                        "the month are reminded two working days before the cutoff; 0 = never")
    low_activity_remind_at: str = Field(default="08:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                                        description="local time from which the reminder day's reminders go")
    low_activity_check_seconds: float = Field(default=600.0, description="how often the reminder scheduler looks "
                                              "(one instance per database); 0 = off")
    stream_poll_seconds: float = Field(default=0.5, gt=0, description="how often an open stream reads the "
                                       "database (it is also woken when this process stores a notification)")


def wire(runtime: ServiceRuntime, app: FastAPI) -> None:
    settings = runtime.settings
    tz = ZoneInfo(settings.timezone)
    ctx = Context(templates=load_templates(settings.region_config_dir), tz=tz,  # refused here when they do not fit
                  digest=DigestRule(settings.digest_threshold, timedelta(minutes=settings.digest_window_minutes)))
    app.state.notify_context = ctx
    app.state.stream_settings = StreamSettings(poll_seconds=settings.stream_poll_seconds)
    app.state.calendar = CalendarCache(metadata)
    register(runtime.consumers, ctx, app.state.calendar)
    reminders = LowActivityReminders(runtime.db, app.state.calendar, ctx, threshold=settings.low_activity_threshold,
                                     remind_at=time.fromisoformat(settings.low_activity_remind_at),
                                     interval_seconds=settings.low_activity_check_seconds, producer=settings.service)
    app.state.reminders = reminders

    async def start_reminders() -> None:
        reminders.start()

    runtime.on_migrated.append(start_reminders)
    runtime.on_stop.append(reminders.stop)
    delivery.wire(runtime, app)  # email/push/webhook hooks; the dispatcher after migrations


SERVICE = ServiceSpec(name="notify", port=8005, settings=NotifySettings, metadata=metadata, routers=[router, webhooks_router], wire=wire)
load_settings, create_app, main = SERVICE.load_settings, SERVICE.create_app, SERVICE.main

if __name__ == "__main__":
    main()
