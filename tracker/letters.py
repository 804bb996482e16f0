"""Letters: the text of a request, rendered from a route and what the person typed.

Nothing here is stored, cached or logged: `render` is a pure function of the route,
the guide and the form's values, and the views that call it answer POSTs marked
never-cache. A letter only claims rights the route's law gives:
- `gdpr-art21` / `uk-gdpr-art21`: an objection under Art. 21(1), which needs grounds
  relating to the person's particular situation (EXAMPLE_GROUNDS help to write them);
- `ccpa`: California gives no right aimed at AI training, so the letter says so and
  uses what the CCPA does give: know, delete, opt out of sale/sharing;
- `none`: a plain request (to a workspace admin, or a platform with no legal duty).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guides.models import Guide

EXAMPLE_GROUNDS = {
    "livelihood": gettext_lazy(
        "My writing, photos or other work on this account are how I earn my living; models "
        "trained on them can imitate my work and compete with me."
    ),
    "sensitive": gettext_lazy(
        "What I shared includes details of my health, beliefs or family life that I meant "
        "for the people I know there, not for an AI model that may reproduce them."
    ),
    "safety": gettext_lazy(
        "I have been harassed or stalked before; a model that can repeat details about me "
        "or my whereabouts puts my safety at risk."
    ),
    "others": gettext_lazy(
        "My posts include photos and details of my children or other people who cannot "
        "object themselves."
    ),
    "irreversible": gettext_lazy(
        "Once my data is in a trained model I cannot get it out again, so for me the harm "
        "of this processing cannot be undone."
    ),
}
GROUNDS_PLACEHOLDER = "[" + "Your grounds, relating to your particular situation" + "]"
CCPA_RIGHTS = {
    "know": gettext_lazy(
        "Right to know (Cal. Civ. Code § 1798.110): tell me the categories and specific "
        "pieces of personal information you have collected about me, where you got them, "
        "why you use them (including for training AI models) and to whom you disclose them."
    ),
    "delete": gettext_lazy(
        "Right to delete (§ 1798.105): delete the personal information you collected from "
        "me, and direct your service providers and contractors to do the same."
    ),
    "opt-out": gettext_lazy(
        "Right to opt out of sale or sharing (§ 1798.120): do not sell or share my "
        "personal information."
    ),
}


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str
    kind: str  # email | form | role
    address: str  # the email address, the form's URL, or the role
    field: str = ""  # for a form: which field to paste the letter into

    @property
    def mailto(self) -> str:
        to = self.address if self.kind == "email" else ""
        return f"mailto:{quote(to, safe='@')}?subject={quote(self.subject)}&body={quote(self.body)}"

    @property
    def text(self) -> str:
        head = f"To: {self.address}\n" if self.kind != "form" else ""
        return f"{head}Subject: {self.subject}\n\n{self.body}\n"


def _signature(values: dict, today: dt.date) -> str:
    lines = [values.get("name") or "[" + _("Your name") + "]"]
    if values.get("account"):
        lines.append(_("Account: %(account)s") % {"account": values["account"]})
    if values.get("country"):
        lines.append(_("Country of residence: %(c)s") % {"c": values["country"]})
    lines.append(today.strftime("%d %B %Y"))
    return "\n".join(lines)


def _grounds(values: dict) -> str:
    picked = [str(EXAMPLE_GROUNDS[k]) for k in values.get("examples") or [] if k in EXAMPLE_GROUNDS]
    own = (values.get("grounds") or "").strip()
    parts = picked + ([own] if own else [])
    return "\n".join(f"- {p}" for p in parts) if parts else GROUNDS_PLACEHOLDER


def _gdpr(guide: Guide, route: dict, values: dict) -> tuple[str, str]:
    uk = route["law"] == "uk-gdpr-art21"
    law = "UK GDPR" if uk else "GDPR"
    subject = _("Objection under Article 21(1) %(law)s: %(asks)s") % {
        "law": law,
        "asks": route["asks"],
    }
    body = _(
        "Dear %(platform)s data protection team,\n\n"
        "I object, under Article 21(1) of the %(law)s, to your processing of my personal "
        "data to develop and train AI models. What I ask: %(asks)s.\n\n"
        "As far as I understand, you base this processing on your legitimate interests "
        "(Article 6(1)(f)). I object on grounds relating to my particular situation:\n"
        "%(grounds)s\n\n"
        "Under Article 21(1) you may no longer process my personal data for this purpose "
        "unless you demonstrate compelling legitimate grounds which override my interests, "
        "rights and freedoms, or need it for legal claims. Please confirm that you have "
        "stopped, within one month of receiving this objection (Article 12(3)). If you do "
        "not act on it, please tell me why within the same month (Article 12(4)); I can "
        "then lodge a complaint with %(authority)s.\n\n"
        "Kind regards,"
    ) % {
        "platform": guide.platform.name,
        "law": law,
        "asks": route["asks"],
        "grounds": _grounds(values),
        "authority": _("the Information Commissioner's Office")
        if uk
        else _("a supervisory authority (Article 77)"),
    }
    return subject, body


def _ccpa(guide: Guide, route: dict, values: dict) -> tuple[str, str]:
    rights = [k for k in values.get("rights") or [] if k in CCPA_RIGHTS] or ["know", "delete"]
    subject = _("California Consumer Privacy Act request")
    body = _(
        "Dear %(platform)s privacy team,\n\n"
        "I am a California resident and use %(platform)s. The CCPA gives me no right aimed "
        "at the training of AI models, so I am using the rights it does give me:\n"
        "%(rights)s\n\n"
        "Please answer within 45 days of receiving this request (Cal. Civ. Code "
        "§ 1798.130); a request to opt out is to be acted on within 15 business days "
        "(Cal. Code Regs. tit. 11, § 7026).\n\n"
        "Kind regards,"
    ) % {
        "platform": guide.platform.name,
        "rights": "\n".join(f"- {CCPA_RIGHTS[k]}" for k in rights),
    }
    return subject, body


def _plain(guide: Guide, route: dict, values: dict) -> tuple[str, str]:
    template = guide.request_template or {}
    if template.get("body"):
        return template["subject"], template["body"].strip() + "\n"
    subject = route["asks"]
    body = _("Hello,\n\nCould you please %(asks)s on %(platform)s?\n\nThank you,") % {
        "asks": route["asks"][:1].lower() + route["asks"][1:],
        "platform": guide.platform.name,
    }
    return subject, body


WRITERS = {"gdpr-art21": _gdpr, "uk-gdpr-art21": _gdpr, "ccpa": _ccpa, "none": _plain}


def needs_grounds(route: dict) -> bool:
    return route["law"] in {"gdpr-art21", "uk-gdpr-art21"}


def render(guide: Guide, route: dict, values: dict, today: dt.date) -> Letter:
    """The letter for `route`, from the form's cleaned values (nothing is kept)."""
    subject, body = WRITERS[route["law"]](guide, route, values)
    recipient = route["recipient"]
    kind = next(k for k in ("email", "form", "role") if recipient.get(k))
    return Letter(
        subject=subject,
        body=body + "\n" + _signature(values, today),
        kind=kind,
        address=recipient[kind],
        field=recipient.get("field") or "",
    )
