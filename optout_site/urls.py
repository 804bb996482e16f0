"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path

from guides import views as guide_views
from optout_site import sitepages

urlpatterns = [
    path("", include("guides.urls")),
    path("me/", include("tracker.urls")),
    path("report/", include("tracker.urls_reports")),
    path("about/", sitepages.about, name="about"),
    path("privacy/", sitepages.privacy, name="privacy"),
    path("accessibility/", sitepages.accessibility, name="accessibility"),
    path("healthz", guide_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
