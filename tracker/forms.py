"""Forms for the tracker's pages; every one says clearly what was wrong."""

from django import forms
from django.utils.translation import gettext_lazy as _

from guides.regions import REGION_CHOICES
from tracker.models import AccountType


class TickForm(forms.Form):
    done = forms.TypedChoiceField(
        choices=[("1", "done"), ("0", "not done")], coerce=lambda v: v == "1"
    )


class PreferencesForm(forms.Form):
    region = forms.ChoiceField(
        label=_("Your region"), choices=[("", _("Not chosen"))] + REGION_CHOICES, required=False
    )
    account_type = forms.ChoiceField(label=_("Your account type"), choices=AccountType.choices)


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, delete my progress, choices, account and subscriptions for good."),
        error_messages={"required": _("Tick the box to confirm.")},
    )
