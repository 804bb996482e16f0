"""Report a problem with a guide: /report/<platform>/<guide>/ (namespace `reports`)."""

from django.urls import path

from tracker import reports

app_name = "reports"
urlpatterns = [
    path("<slug:platform_slug>/<slug:guide_slug>/", reports.new_report, name="new"),
]
