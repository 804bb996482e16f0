"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path

from guides import views as guide_views

urlpatterns = [
    path("", include("guides.urls")),
    path("me/", include("tracker.urls")),
    path("healthz", guide_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

handler400 = "optout_site.bad_requests.bad_request"
