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
    # Re-check nudges cover guides that fell due after this time (tracker/reminders.py).
    last_nudge_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.email

    @property
    def active(self) -> bool:
        return bool(self.confirmed_at and not self.unsubscribed_at and not self.failing_since)


class Reminder(models.Model):
    """The outbox: one row per (subscription, policy change). The row is the truth."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        SKIPPED = "skipped"

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="reminders"
    )
    change = models.ForeignKey("guides.PolicyChange", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "change"], name="reminder_unique")
        ]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.change_id} {self.status}"


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
    """The outbox for request emails: one row per (request, kind), sent once."""

    class Kind(models.TextChoices):
        OVERDUE = "overdue"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="request_email_unique")
        ]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.kind} {self.status}"


class CalendarFeed(models.Model):
    """A secret, revocable address of a person's calendar (reply-due and re-check dates).
    Only a hash of the token is stored; revoking deletes the row."""

    visitor = models.OneToOneField(Visitor, on_delete=models.CASCADE, related_name="calendar")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"calendar of {self.visitor_id}"
