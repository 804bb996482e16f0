"""Region labels, and reading the region a person chose (never guessed from the IP)."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from guides.schema import ALL_REGIONS, Region

REGION_LABELS = {
    Region.US.value: _("United States"),
    Region.CA.value: _("Canada"),
    Region.EU.value: _("European Union or EEA"),
    Region.UK.value: _("United Kingdom"),
    Region.CH.value: _("Switzerland"),
    Region.HK.value: _("Hong Kong"),
    Region.AU.value: _("Australia"),
    Region.IN.value: _("India"),
    Region.BR.value: _("Brazil"),
    Region.OTHER.value: _("Somewhere else"),
}
REGION_CHOICES = list(REGION_LABELS.items())


def region_label(code: str) -> str:
    if code == ALL_REGIONS:
        return str(_("Everywhere"))
    return str(REGION_LABELS.get(code, code))


def chosen_region(request: HttpRequest) -> str | None:
    value = request.COOKIES.get(settings.REGION_COOKIE_NAME)
    return value if value in REGION_LABELS else None
