"""Passwordless accounts: signing in with a single-use, short-lived email link.

The GET of a link only shows a button (mail scanners that open links must not use
it up); the POST signs in. The links are tracker/email_links.py's (hashed at rest,
claimed once). Asking for a link answers the same whether or not the address has an
account.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from tracker import email_links, emails
from tracker.models import EmailToken, User, Visitor
from tracker.visitors import current_visitor, merge_into

SIGN_IN_LIFETIME = dt.timedelta(minutes=15)


def send_sign_in_link(email: str, visitor: Visitor | None = None) -> None:
    token = email_links.issue(
        EmailToken.Purpose.SIGN_IN, email, lifetime=SIGN_IN_LIFETIME, visitor=visitor
    )
    url = settings.SITE_URL + reverse("tracker:signin_link", args=[token])
    emails.sign_in(email, url, int(SIGN_IN_LIFETIME.total_seconds() // 60)).send()


@transaction.atomic
def sign_in(request: HttpRequest, token: str) -> User:
    """Use the link, find or create the account, merge this browser's progress into it.

    Raises email_links.LinkError when the link is unknown, used or expired."""
    row = email_links.claim(EmailToken.Purpose.SIGN_IN, token)
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
