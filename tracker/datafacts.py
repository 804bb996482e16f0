"""Everything the site stores about a person, described once.

`tracker.personal_data` builds the download from these records (each field's value comes
from its `get`), and the /privacy/ page lists the same records with what each field
is, how long it is kept and where. A field added to the export without a description
here cannot exist, so the privacy page cannot drift from what is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def _lazy_format(text: str, **values) -> str:
    """A translated string with %-placeholders, filled when it is shown."""
    return lazy(lambda: gettext(text) % values, str)()


def _iso(value) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Fact:
    key: str
    what: str
    get: Callable[[Any], Any]


@dataclass(frozen=True)
class Record:
    key: str  # its name in the export
    title: str
    why: str
    kept: str
    facts: tuple[Fact, ...]

    def dump(self, obj) -> dict:
        return {f.key: f.get(obj) for f in self.facts}


def _days(seconds: int) -> int:
    return seconds // 86400


ACCOUNT = Record(
    "account",
    _("Account (only if you sign in)"),
    _("So your progress follows you to another device."),
    _("Until you choose “Delete everything”."),
    (
        Fact("email", _("The email address you signed in with."), lambda u: u.email),
        Fact("joined", _("When you first signed in."), lambda u: _iso(u.date_joined)),
    ),
)

VISITOR = Record(
    "visitor",
    _("Your anonymous visitor"),
    _("Created on your first tick or choice, so the site remembers your progress."),
    _lazy_format(
        "Until you delete it, or automatically once it has not been seen for %(days)s days "
        "(the life of its cookie).",
        days=_days(settings.VISITOR_COOKIE_AGE),
    ),
    (
        Fact(
            "id",
            _("A random identifier, also kept in the signed visitor cookie."),
            lambda v: str(v.pk),
        ),
        Fact("created_at", _("When it was created."), lambda v: _iso(v.created_at)),
        Fact(
            "last_seen_on",
            _("The day (not the time) of your last visit, to purge abandoned visitors."),
            lambda v: _iso(v.last_seen_on),
        ),
        Fact(
            "region",
            _("The region you chose (never guessed from your IP address)."),
            lambda v: v.region,
        ),
        Fact(
            "account_type",
            _("Personal account or workspace admin, as you chose."),
            lambda v: v.account_type,
        ),
        Fact(
            "platforms",
            _("The platforms you put on your list."),
            lambda v: sorted(v.platforms.values_list("slug", flat=True)),
        ),
    ),
)

PROGRESS = Record(
    "progress",
    _("Your ticks"),
    _("To show what you have done and what is left."),
    _("With your visitor: deleted with it."),
    (
        Fact("platform", _("The platform."), lambda t: t.guide.platform.slug),
        Fact("guide", _("The guide."), lambda t: t.guide.slug),
        Fact("step", _("The step you ticked."), lambda t: t.step.key),
        Fact("step_title", _("The step's title when you ticked it."), lambda t: t.step.title),
        Fact("done_at", _("When you ticked it."), lambda t: _iso(t.done_at)),
        Fact(
            "content_version",
            _("The version of the guide you followed, to flag steps that changed since."),
            lambda t: t.version.number if t.version else None,
        ),
    ),
)

REMINDER = Record(
    "reminders",
    _("Reminders sent to you"),
    _("So nobody gets the same reminder twice."),
    _("With the subscription: deleted with it."),
    (
        Fact("change", _("The policy change it was about."), lambda r: r.change.title),
        Fact("status", _("Whether it was sent."), lambda r: r.status),
        Fact("sent_at", _("When it was sent."), lambda r: _iso(r.sent_at)),
    ),
)

SUBSCRIPTION = Record(
    "subscriptions",
    _("Email reminders (only if you subscribe)"),
    _("To email you when a platform you follow changes its policy."),
    _("Until you unsubscribe and delete it, or choose “Delete everything”."),
    (
        Fact("email", _("The address reminders go to."), lambda s: s.email),
        Fact(
            "platforms",
            _("The platforms you follow."),
            lambda s: sorted(p.slug for p in s.platforms.all()),
        ),
        Fact("frequency", _("Immediately or a weekly digest."), lambda s: s.frequency),
        Fact(
            "recheck_nudges",
            _("Whether you asked for re-check reminders."),
            lambda s: s.recheck_nudges,
        ),
        Fact("created_at", _("When you asked."), lambda s: _iso(s.created_at)),
        Fact("confirmed_at", _("When you confirmed by email."), lambda s: _iso(s.confirmed_at)),
        Fact(
            "unsubscribed_at",
            _("When you unsubscribed, if you did."),
            lambda s: _iso(s.unsubscribed_at),
        ),
        Fact(
            "reminders",
            _("Each reminder sent to you (see below)."),
            lambda s: [REMINDER.dump(r) for r in s.reminders.select_related("change")],
        ),
    ),
)

PROBLEM_REPORT = Record(
    "problem_reports",
    _("Problems you reported"),
    _("So an editor can fix the guide, and reply if you left an address."),
    _("Until an editor resolves it; your email address is removed when it is resolved."),
    (
        Fact("platform", _("The platform."), lambda r: r.guide.platform.slug),
        Fact("guide", _("The guide."), lambda r: r.guide.slug),
        Fact("step", _("The step, if you named one."), lambda r: r.step.key if r.step else None),
        Fact("message", _("What you wrote."), lambda r: r.message),
        Fact(
            "email", _("Your email, only if you gave one for a reply."), lambda r: r.email or None
        ),
        Fact("status", _("New or resolved."), lambda r: r.status),
        Fact("created_at", _("When you sent it."), lambda r: _iso(r.created_at)),
    ),
)

# --- Requests and their calendar (tracker/requests.py, tracker/calendar.py) ---------------

REQUEST_EMAIL = Record(
    "emails",
    _("Emails about a request"),
    _("So the overdue email is sent once."),
    _("With the request: deleted with it."),
    (
        Fact("kind", _("Which email (overdue)."), lambda e: e.kind),
        Fact("status", _("Whether it was sent."), lambda e: e.status),
        Fact("sent_at", _("When it was sent."), lambda e: _iso(e.sent_at)),
    ),
)

# --- Single emails in the outbox (tracker.outbox.put) ------------------------------------

OUTBOX_EMAIL = Record(
    "outbox_emails",
    _("Other emails sent to you"),
    _("So each one is sent once, and sent again only if the mail server never took it."),
    _("A month after it was sent, or until you choose “Delete everything”."),
    (
        Fact("to", _("The address it went to."), lambda e: e.to),
        Fact("subject", _("Its subject."), lambda e: e.subject),
        Fact("status", _("Whether it was sent."), lambda e: e.status),
        Fact("sent_at", _("When it was sent."), lambda e: _iso(e.sent_at)),
    ),
)

REQUEST = Record(
    "requests",
    _("Requests you sent (letters)"),
    _("To count the days until the answer is due, and to tell you once when it is late."),
    _("Until you choose “Delete everything”. What you typed into the letter is never kept."),
    (
        Fact("platform", _("The platform."), lambda r: r.guide.platform.slug),
        Fact("guide", _("The guide."), lambda r: r.guide.slug),
        Fact("route", _("Which of the guide's letters."), lambda r: r.route_key),
        Fact("law", _("The law it relies on."), lambda r: r.law),
        Fact("recipient", _("Where it went (from the guide)."), lambda r: r.recipient),
        Fact("asks", _("What it asked for."), lambda r: r.asks),
        Fact("sent_on", _("The day you said you sent it."), lambda r: _iso(r.sent_on)),
        Fact("reply_due", _("When the answer is due."), lambda r: _iso(r.reply_due)),
        Fact("extended", _("Whether the deadline was extended."), lambda r: r.extended),
        Fact(
            "status",
            _("Awaiting reply, answered, refused, overdue, escalated."),
            lambda r: r.status,
        ),
        Fact("authority", _("Where you would complain."), lambda r: r.authority),
        Fact("note", _("Your private note, if you wrote one."), lambda r: r.note),
        Fact(
            "emails",
            _("Emails about it (see below)."),
            lambda r: [REQUEST_EMAIL.dump(e) for e in r.emails.all()],
        ),
    ),
)

CALENDAR = Record(
    "calendar",
    _("Your calendar address (only if you made one)"),
    _("So your calendar app can read your reply-due and re-check dates."),
    _("Until you turn it off, make a new one, or choose “Delete everything”."),
    (
        Fact(
            "created_at",
            _("When you made it (only a hash of the secret address is stored)."),
            lambda c: _iso(c.created_at),
        ),
    ),
)

# What the export holds, in its order; /privacy/ lists them the same way.
RECORDS = (
    ACCOUNT,
    VISITOR,
    PROGRESS,
    REQUEST,
    REQUEST_EMAIL,
    CALENDAR,
    SUBSCRIPTION,
    REMINDER,
    PROBLEM_REPORT,
    OUTBOX_EMAIL,
)

# Kept for a short while and never about what you did: on /privacy/, not in the export.
COOKIES = (
    (
        settings.VISITOR_COOKIE_NAME,
        _("Your visitor's random id, signed so it cannot be forged. HttpOnly."),
        _("A year from your last visit."),
    ),
    (settings.REGION_COOKIE_NAME, _("The region you chose."), _("A year.")),
    (
        settings.SESSION_COOKIE_NAME,
        _("Only when signed in: your session."),
        _("Two weeks, or until you sign out."),
    ),
    (
        settings.CSRF_COOKIE_NAME,
        _("A random token that protects forms against forgery."),
        _("A year."),
    ),
    (
        "messages",
        _("A one-time notice such as “Your choices were saved”."),
        _("Until it is shown."),
    ),
)
TRANSIENT = (
    (
        _("Sign-in and confirmation links"),
        _("Only a hash of each link, with the address it was sent to; it works once."),
        _lazy_format(
            "Sign-in links expire after 15 minutes, confirmation links after %(hours)s "
            "hours; both are deleted daily once spent.",
            hours=settings.REMINDER_CONFIRM_HOURS,
        ),
    ),
    (
        _("Rate limits"),
        _(
            "A keyed hash of your network address or email, counted in the cache "
            "(never in the database or logs)."
        ),
        _("For the length of the limit's window (at most an hour)."),
    ),
)
