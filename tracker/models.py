"""WHO did what: accounts, visitors, progress, subscriptions and the reminder outbox.

The user model identifies people by email alone; nobody needs a password. Staff
get one through `createsuperuser` for the admin.
"""

from __future__ import annotations

import secrets
import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    return secrets.token_urlsafe(32)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.email


class AccountType(models.TextChoices):
    PERSONAL = "personal", _("Personal account")
    WORKSPACE_ADMIN = "workspace-admin", _("Workspace admin")


class Visitor(models.Model):
    """A person using the site, anonymous by default.

    Identified by a random id in a signed, HttpOnly cookie. Holds only what the
    person chose: region, account type, their list of platforms. Linked to a user
    once they sign in by email; from then on the session, not the cookie, gives
    access to it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="visitor"
    )
    region = models.CharField(max_length=10, blank=True)
    account_type = models.CharField(
        max_length=20, choices=AccountType.choices, default=AccountType.PERSONAL
    )
    platforms = models.ManyToManyField(
        "guides.Platform", blank=True, related_name="+", verbose_name=_("my platforms")
    )
    created_at = models.DateTimeField(default=timezone.now)
    # A day, not a time: enough to purge long-abandoned visitors, little to learn from.
    last_seen_on = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return f"visitor {str(self.id)[:8]}"


class Progress(models.Model):
    """One ticked step. Step rows are never deleted, so their keys outlive edits."""

    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="progress")
    guide = models.ForeignKey("guides.Guide", on_delete=models.CASCADE, related_name="+")
    step = models.ForeignKey("guides.Step", on_delete=models.CASCADE, related_name="+")
    done_at = models.DateTimeField(default=timezone.now)
    version = models.ForeignKey(
        "guides.ContentVersion", on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visitor", "step"], name="progress_unique_step")
        ]
        indexes = [models.Index(fields=["visitor", "guide"])]

    def __str__(self) -> str:
        return f"{self.visitor_id} {self.step_id}"


class EmailToken(models.Model):
    """A single-use, short-lived link sent by email (sign-in or subscription confirm).

    Only a hash of the token is stored, so a database leak does not yield live links.
    """

    class Purpose(models.TextChoices):
        SIGN_IN = "sign-in"
        CONFIRM = "confirm-subscription"

    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    subscription = models.ForeignKey(
        "Subscription", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The anonymous visitor who asked for a sign-in link: their progress joins the
    # account even when the link is opened in another browser.
    visitor = models.ForeignKey(
        Visitor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} for {self.email}"


class SubscriptionQuerySet(models.QuerySet):
    def active(self):
        """Subscriptions we write to: confirmed, not unsubscribed, not failing (the
        query form of `Subscription.active`)."""
        return self.filter(
            confirmed_at__isnull=False, unsubscribed_at__isnull=True, failing_since__isnull=True
        )


class Subscription(models.Model):
    """An email that asked to hear about policy changes on some platforms."""

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", _("As soon as something changes")
        WEEKLY = "weekly", _("A weekly digest")

    email = models.EmailField(unique=True)
    visitor = models.ForeignKey(
        Visitor, null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    platforms = models.ManyToManyField("guides.Platform", related_name="+")
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE
    )
    recheck_nudges = models.BooleanField(
        default=False, help_text=_("Also remind me to re-check settings known to revert.")
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    # Re-check nudges cover guides that fell due after this time (tracker/nudges.py).
    last_nudge_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    def __str__(self) -> str:
        return self.email

    @property
    def active(self) -> bool:
        return bool(self.confirmed_at and not self.unsubscribed_at and not self.failing_since)


class OutboxRow(models.Model):
    """What every outbox row has: its status, its claim, and its fixed Message-ID.

    `claimed_by` ("host:pid") and `claimed_at` name the claim: a row in `sending` is
    being sent by that process, and one back in `pending` with a `claimed_by` waits
    for that process's retry. A worker that starts puts back the rows of processes
    that are gone (tracker/outbox.py). `message_id` is set when the row is written,
    so every attempt at sending it is the same message.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        SKIPPED = "skipped"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message_id = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=120, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True


class Reminder(OutboxRow):
    """The outbox of policy-change reminders: one row per (subscription, policy change)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="reminders"
    )
    change = models.ForeignKey("guides.PolicyChange", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "change"], name="reminder_unique")
        ]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.change_id} {self.status}"


class OutboxEmail(OutboxRow):
    """One email put in the outbox by a feature (tracker.outbox.put), stored as rendered.

    `key` says what it is for ("nudge:12:…", "request-overdue:7"): the unique
    constraint is what makes "send this once" hold however often a feature asks.
    """

    key = models.CharField(max_length=200, unique=True)
    to = models.EmailField()
    subject = models.CharField(max_length=998)
    text = models.TextField()
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "claimed_at"]), models.Index(fields=["to"])]

    def __str__(self) -> str:
        return f"{self.key} {self.status}"


# --- Report a problem (tracker/reports.py) ---------------------------------------------


class ProblemReport(models.Model):
    """What a person says is wrong with a guide or one of its steps: the editors' queue.

    Never shown publicly. `email` is optional (for a reply) and cleared when an editor
    resolves the report; `visitor` is the reporter's anonymous visitor, if any, so the
    report goes with their export and erase.
    """

    class Status(models.TextChoices):
        NEW = "new", _("New")
        RESOLVED = "resolved", _("Resolved")

    guide = models.ForeignKey("guides.Guide", on_delete=models.CASCADE, related_name="+")
    step = models.ForeignKey(
        "guides.Step", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(max_length=2000)
    email = models.EmailField(blank=True)
    visitor = models.ForeignKey(
        Visitor, null=True, blank=True, on_delete=models.CASCADE, related_name="problem_reports"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.guide_id} {self.created_at:%Y-%m-%d}"


# --- Requests (tracker/requests.py, tracker/overdue.py, tracker/calendar.py) -------------


class Request(models.Model):
    """A letter the person says they sent: what was asked of whom, under which law, and
    when the answer is due. Nothing they typed into the letter is kept; `note` is a
    private note they chose to write in the "I sent it" form."""

    class Status(models.TextChoices):
        AWAITING = "awaiting-reply", _("Awaiting reply")
        ANSWERED = "answered", _("Answered")
        REFUSED = "refused", _("Refused")
        OVERDUE = "overdue", _("Overdue")
        ESCALATED = "escalated", _("Escalated")

    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="requests")
    guide = models.ForeignKey("guides.Guide", on_delete=models.CASCADE, related_name="+")
    route_key = models.SlugField(max_length=60)
    law = models.CharField(max_length=20)
    recipient = models.CharField(max_length=500, help_text=_("Form URL, email or role."))
    asks = models.CharField(max_length=200)
    sent_on = models.DateField()
    reply_due = models.DateField(null=True, blank=True)
    extended = models.BooleanField(default=False, help_text=_("The controller extended it."))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING)
    authority = models.CharField(
        max_length=10, blank=True, help_text=_("Supervisory authority code, chosen by the person.")
    )
    note = models.TextField(blank=True, max_length=2000)
    sequence = models.PositiveIntegerField(default=0, help_text=_("Calendar SEQUENCE."))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_on", "-id"]
        indexes = [models.Index(fields=["status", "reply_due"])]

    def __str__(self) -> str:
        return f"{self.guide_id}/{self.route_key} {self.status}"

    @property
    def shown_status(self) -> str:
        """The status to show today (an open request past its date reads as overdue)."""
        from tracker.requests import shown_status

        return shown_status(self)


class RequestEmail(models.Model):
    """That a request's email (kind) was decided on: one per (request, kind). The email
    itself is an OutboxEmail, sent by the one outbox engine."""

    class Kind(models.TextChoices):
        OVERDUE = "overdue"

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    email = models.ForeignKey(
        "OutboxEmail",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="request_emails",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="request_email_unique")
        ]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.kind} {self.status}"

    @property
    def status(self) -> str:
        """The outbox's status of the email (pending, sending, sent, failed)."""
        return self.email.status if self.email else "failed"

    @property
    def sent_at(self):
        return self.email.sent_at if self.email else None


class CalendarFeed(models.Model):
    """A secret, revocable address of a person's calendar (reply-due and re-check dates).
    Only a hash of the token is stored; revoking deletes the row."""

    visitor = models.OneToOneField(Visitor, on_delete=models.CASCADE, related_name="calendar")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"calendar of {self.visitor_id}"
