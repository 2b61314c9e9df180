"""Email over SMTP (aiosmtplib): one message per delivery, plain text, UTF-8. STARTTLS and
authentication are configurable; with no `smtp_host` the channel is off (nothing is queued).

A refusal of the recipient or the message (5xx to RCPT or DATA) is permanent: dead at once with the
server's reply. Everything else (connection refused, timeouts, 4xx, a failed login) is retried."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from notify_service.delivery.dispatcher import Job, Outcome


def email_payload(notification) -> dict:
    """What an email delivery keeps of its notification: subject = title, body = body."""
    return {"subject": notification.title, "body": notification.body, "kind": notification.kind,
            "notification_id": notification.id, "nip": notification.recipient_nip}


def build_message(job: Job, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = job.target
    msg["Subject"] = job.payload.get("subject", "")
    msg["Date"] = formatdate(usegmt=True)
    domain = sender.rpartition("@")[2].strip("> ") or "kinerja.local"
    msg["Message-ID"] = make_msgid(idstring=f"kinerja-{job.id}", domain=domain)
    msg["X-Kinerja-Delivery-Id"] = str(job.id)
    msg.set_content(job.payload.get("body", ""))
    return msg


class EmailChannel:
    name = "email"
    per_target = False  # one lane: the SMTP server

    def __init__(self, *, host: str, port: int = 587, starttls: bool = True, username: str | None = None,
                 password: str | None = None, sender: str = "kinerja@localhost", timeout: float = 30.0,
                 cert_bundle: str | None = None) -> None:
        self.host, self.port, self.starttls = host, port, starttls
        self.username, self.password, self.sender = username or None, password or None, sender
        self.timeout, self.cert_bundle = timeout, cert_bundle

    async def send(self, job: Job) -> Outcome:
        try:
            await aiosmtplib.send(build_message(job, self.sender), hostname=self.host, port=self.port,
                                  start_tls=self.starttls, username=self.username, password=self.password,
                                  timeout=self.timeout, cert_bundle=self.cert_bundle)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusals = exc.recipients or []
            code = refusals[0].code if refusals else None
            reply = "; ".join(f"{r.code} {r.message}" for r in refusals) or str(exc)
            return Outcome(False, status_code=code, error=f"SMTP recipient refused: {reply}",
                           permanent=code is not None and code >= 500)
        except (aiosmtplib.SMTPDataError, aiosmtplib.SMTPSenderRefused) as exc:
            return Outcome(False, status_code=exc.code, error=f"SMTP {exc.code}: {exc.message}",
                           permanent=isinstance(exc, aiosmtplib.SMTPDataError) and exc.code >= 500)
        except aiosmtplib.SMTPResponseException as exc:  # e.g. a failed login: fixable, so retried
            return Outcome(False, status_code=exc.code, error=f"SMTP {exc.code}: {exc.message}")
        except aiosmtplib.SMTPException as exc:  # connect, TLS, timeouts, a dropped connection
            return Outcome(False, error=f"{type(exc).__name__}: {exc}")
        return Outcome(True, status_code=250)

    async def close(self) -> None:
        pass
