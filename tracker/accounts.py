"""Passwordless accounts: single-use, short-lived email links.

The GET of a link only shows a button (mail scanners that open links must not use
it up); the POST signs in. Only a hash of each token is stored. Asking for a link
answers the same whether or not the address has an account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from tracker import emails
from tracker.models import EmailToken, User, Visitor
from tracker.visitors import current_visitor, merge_into

SIGN_IN_LIFETIME = dt.timedelta(minutes=15)


class TokenInvalid(Exception):
    """Unknown, expired or already used."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(purpose: str, email: str, *, lifetime: dt.timedelta, **extra) -> str:
    token = secrets.token_urlsafe(32)
    EmailToken.objects.create(
        purpose=purpose,
        email=email.strip().lower(),
        token_hash=hash_token(token),
        expires_at=timezone.now() + lifetime,
        **extra,
    )
    return token


def find_token(purpose: str, token: str) -> EmailToken:
    row = EmailToken.objects.filter(purpose=purpose, token_hash=hash_token(token)).first()
    if row is None or row.used_at is not None or row.expires_at <= timezone.now():
        raise TokenInvalid
    return row


def use_token(purpose: str, token: str) -> EmailToken:
    """Claim a token exactly once (a conditional update, safe against double POSTs)."""
    row = find_token(purpose, token)
    claimed = EmailToken.objects.filter(
        pk=row.pk, used_at__isnull=True, expires_at__gt=timezone.now()
    ).update(used_at=timezone.now())
    if not claimed:
        raise TokenInvalid
    return row


def send_sign_in_link(email: str, visitor: Visitor | None = None) -> None:
    token = issue_token(
        EmailToken.Purpose.SIGN_IN, email, lifetime=SIGN_IN_LIFETIME, visitor=visitor
    )
    url = settings.SITE_URL + reverse("tracker:signin_link", args=[token])
    emails.sign_in(email, url, int(SIGN_IN_LIFETIME.total_seconds() // 60)).send()


@transaction.atomic
def sign_in(request: HttpRequest, token: str) -> User:
    """Use the token, find or create the account, merge this browser's progress into it."""
    row = use_token(EmailToken.Purpose.SIGN_IN, token)
    user_model = get_user_model()
    user = user_model.objects.filter(email=row.email).first()
    if user is None:
        user = user_model.objects.create_user(email=row.email)
    account = Visitor.objects.select_for_update().filter(user=user).first()
    if account is None:
        account = Visitor.objects.create(user=user)
    # Anonymous progress on this browser, and on the browser that asked for the link.
    for anonymous in {current_visitor(request), row.visitor} - {None}:
        if anonymous.user_id is None:
            merge_into(anonymous, account)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # new session id
    request.__dict__.pop("_visitor", None)  # re-read from the session on next access
    return user
