"""The console email backend of `make run`, made for reading: headers, then the plain
text body as written, so links can be copied whole.

Django's console backend prints the MIME source, where quoted-printable wrapping
splits long lines with "=" (a confirmation link copied from there does not work).
"""

from __future__ import annotations

from django.core.mail.backends.console import EmailBackend as ConsoleBackend

SHOWN_HEADERS = ("From", "To", "Subject", "Date", "List-Unsubscribe")


class EmailBackend(ConsoleBackend):
    def write_message(self, message) -> None:
        msg = message.message()
        lines = [f"{name}: {msg[name]}" for name in SHOWN_HEADERS if msg[name]]
        text = message.body
        alternatives = [mimetype for _, mimetype in getattr(message, "alternatives", [])]
        lines += ["", text.rstrip("\n"), ""]
        if alternatives:
            lines.append(f"(also sent as {', '.join(alternatives)}, not shown)")
        self.stream.write("\n".join(lines) + "\n")
        self.stream.write("-" * 79 + "\n")
