"""Forms of the letter page and of "I sent it"; each says clearly what was wrong."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from optout_site import clock
from tracker import authorities, letters, requests


class LetterForm(forms.Form):
    """What the letter needs. Every value lives only as long as the request that sent it."""

    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    account = forms.CharField(
        label=_("Your account's email address or handle"), max_length=200, required=False
    )
    country = forms.CharField(label=_("Country you live in"), max_length=100, required=False)
    examples = forms.MultipleChoiceField(
        label=_("Grounds you can pick (adapt them in your own words below)"),
        choices=list(letters.EXAMPLE_GROUNDS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    grounds = forms.CharField(
        label=_("Your grounds, in your own words"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=3000,
        required=False,
    )
    rights = forms.MultipleChoiceField(
        label=_("What you ask for"),
        choices=[("know", _("Know")), ("delete", _("Delete")), ("opt-out", _("Opt out"))],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, route: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.route = route
        if not letters.needs_grounds(route):
            del self.fields["examples"], self.fields["grounds"]
        if route["law"] != "ccpa":
            del self.fields["rights"]

    def clean(self) -> dict:
        data = super().clean()
        if letters.needs_grounds(self.route) and not (data.get("examples") or data.get("grounds")):
            raise forms.ValidationError(
                _(
                    "An objection needs grounds relating to your particular situation: pick "
                    "one of the examples or write your own. Objections without them are "
                    "often refused."
                ),
                code="grounds",
            )
        return data


class SentForm(forms.Form):
    sent_on = forms.DateField(
        label=_("Sent on"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    ccpa = forms.ChoiceField(
        label=_("What you asked for"),
        choices=[
            (requests.CCPA_KNOW_DELETE, _("To know or delete (45 days)")),
            (requests.CCPA_OPT_OUT, _("To opt out of sale or sharing (15 business days)")),
        ],
        required=False,
    )
    authority = forms.ChoiceField(label=_("Where you would complain"), required=False)
    note = forms.CharField(
        label=_("A private note (optional, only you see it)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )

    def __init__(self, *args, route: dict, region: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.route = route
        law = route["law"]
        if law != "ccpa":
            del self.fields["ccpa"]
        choices = authorities.choices_for(law)
        if choices and law != "ccpa":
            self.fields["authority"].choices = [(a.code, f"{a.country}: {a.name}") for a in choices]
            self.fields["authority"].initial = authorities.default_for(law, region)
        else:
            del self.fields["authority"]
        self.fields["sent_on"].initial = clock.today()

    def clean_sent_on(self) -> dt.date:
        value = self.cleaned_data.get("sent_on") or clock.today()
        if value > clock.today():
            raise forms.ValidationError(_("The date cannot be in the future."))
        if value < clock.today() - dt.timedelta(days=730):
            raise forms.ValidationError(_("That is more than two years ago."))
        return value


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            ("answered", _("They answered")),
            ("refused", _("They refused")),
            ("escalated", _("I complained to the authority")),
            ("extended", _("They extended the deadline")),
        ]
    )
