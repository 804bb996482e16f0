"""A local SMTP server (aiosmtpd) that counts what it receives and keeps nothing.

    python bench/smtp_sink.py PORT COUNT_FILE

Writes `<messages> <recipients> <bytes>` to COUNT_FILE every 0.2 s and on SIGTERM.
It stays cheap on purpose (no parsing): the worker and the plain loop both send to
it, so it is the same ceiling for both.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self) -> None:
        self.messages = 0
        self.recipients = 0
        self.bytes = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        with self.lock:
            self.messages += 1
            self.recipients += len(envelope.rcpt_tos)
            self.bytes += len(envelope.content or b"")
        return "250 OK"


def main() -> None:
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def dump() -> None:
        tmp = out.with_suffix(".tmp")
        tmp.write_text(f"{counter.messages} {counter.recipients} {counter.bytes}\n")
        tmp.replace(out)

    dump()
    while not stop.is_set():
        time.sleep(0.2)
        dump()
    controller.stop()
    dump()


if __name__ == "__main__":
    main()
