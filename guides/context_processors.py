from django.conf import settings
from django.http import HttpRequest

from guides.regions import REGION_CHOICES, chosen_region, region_label


def site(request: HttpRequest) -> dict:
    region = chosen_region(request)
    return {
        "site_name": settings.SITE_NAME,
        "region": region,
        "region_name": region_label(region) if region else "",
        "region_choices": REGION_CHOICES,
    }
