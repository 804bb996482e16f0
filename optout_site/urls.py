"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path

from optout_site import health, sitepages

urlpatterns = [
    path("", include("guides.urls")),
    path("me/", include("tracker.urls")),
    path("report/", include("tracker.urls_reports")),
    path("about/", sitepages.about, name="about"),
    path("privacy/", sitepages.privacy, name="privacy"),
    path("accessibility/", sitepages.accessibility, name="accessibility"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

handler400 = "optout_site.bad_requests.bad_request"
