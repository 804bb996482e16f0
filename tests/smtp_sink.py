"""A real local SMTP server (aiosmtpd) that keeps what it receives, for tests.

Use the `smtp_sink` fixture (tests/conftest.py): it starts a server on a free port,
points Django's MAILERS at it, and gives the list of received messages.

It can be told to misbehave the ways real servers do:
- `refuse_with = "451 ..."`: answer every DATA with that reply;
- `refuse_rcpt[address] = ("550 5.1.1 no such user", None)`: answer RCPT TO for that
  address with the reply, for the next n attempts (None: always);
- `drop_after_dot.add(address)`: the next message to that address is received in
  full, kept, and then the connection is dropped before the reply to the final dot
  (the sender cannot know it arrived).
`rcpt_attempts` counts RCPT TO per address, refused or not.
"""

from __future__ import annotations

import email
import email.parser
import email.policy
import logging
import socket
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller

# aiosmtpd logs every command at INFO: thousands of lines a fan-out, and time with them.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        sink = self.sink
        with sink.lock:
            sink.rcpt_attempts[address] = sink.rcpt_attempts.get(address, 0) + 1
            reply, times = sink.refuse_rcpt.get(address, (None, None))
            if reply and times is not None:
                if times <= 1:
                    del sink.refuse_rcpt[address]
                else:
                    sink.refuse_rcpt[address] = (reply, times - 1)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.sink.refuse_with:
            return self.sink.refuse_with
        with self.sink.lock:
            self.sink.raw.append(envelope.content)
            self.sink.recipients.extend(envelope.rcpt_tos)
            drop = self.sink.drop_after_dot & set(envelope.rcpt_tos)
            self.sink.drop_after_dot -= drop
        if drop:
            server.transport.abort()  # kept, but the sender never hears "250"
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.raw: list[bytes] = []  # as received; parsed on demand (parsing is slow)
        self._parsed: list[EmailMessage] = []
        self.recipients: list[str] = []
        self.lock = threading.Lock()
        self.refuse_with: str | None = None  # e.g. "451 try later" to simulate trouble
        self.refuse_rcpt: dict[str, tuple[str, int | None]] = {}
        self.drop_after_dot: set[str] = set()
        self.rcpt_attempts: dict[str, int] = {}
        self._controller: Controller | None = None

    def start(self) -> SmtpSink:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received so far, parsed (each once)."""
        with self.lock:
            raw = self.raw[len(self._parsed) :]
        for content in raw:
            self._parsed.append(email.message_from_bytes(content, policy=email.policy.default))
        return list(self._parsed)

    def headers(self, start: int = 0) -> list[EmailMessage]:
        """Just the headers of the messages from number `start` on (fast)."""
        with self.lock:
            raw = self.raw[start:]
        parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
        return [parser.parsebytes(content) for content in raw]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.raw) >= count:
                return self.messages
            time.sleep(0.05)
        raise AssertionError(f"expected {count} emails, got {len(self.raw)}")

    @staticmethod
    def text_of(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""

    @property
    def mailers(self) -> dict:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 10},
            }
        }
