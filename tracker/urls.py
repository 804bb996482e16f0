from django.urls import include, path

from tracker import request_views, views

app_name = "tracker"
urlpatterns = [
    path("", views.my_opt_outs, name="dashboard"),
    path(
        "tick/<slug:platform_slug>/<slug:guide_slug>/<slug:step_key>/",
        views.tick,
        name="tick",
    ),
    path("rechecked/<slug:platform_slug>/<slug:guide_slug>/", views.rechecked, name="rechecked"),
    path("platforms/<slug:slug>/add/", views.choose_platform, {"action": "add"}, name="add"),
    path(
        "platforms/<slug:slug>/remove/", views.choose_platform, {"action": "remove"}, name="remove"
    ),
    path("preferences/", views.preferences, name="preferences"),
    path("data.json", views.download, {"fmt": "json"}, name="export_json"),
    path("progress.csv", views.download, {"fmt": "csv"}, name="export_csv"),
    path("delete/", views.delete_everything, name="delete"),
    path("deleted/", views.deleted, name="deleted"),
    path("signin/", views.signin, name="signin"),
    path("signin/<str:token>/", views.signin_link, name="signin_link"),
    path("signout/", views.signout, name="signout"),
    path("", include("tracker.urls_subscriptions")),
    # Letters and requests (tracker/request_views.py)
    path(
        "letters/<slug:platform_slug>/<slug:guide_slug>/<slug:route_key>/",
        request_views.letter,
        name="letter",
    ),
    path(
        "letters/<slug:platform_slug>/<slug:guide_slug>/<slug:route_key>/sent/",
        request_views.sent,
        name="request_sent",
    ),
    path("requests/<int:pk>/update/", request_views.update, name="request_update"),
    path("calendar/", request_views.calendar_link, name="calendar_link"),
    path("calendar/revoke/", request_views.calendar_revoke, name="calendar_revoke"),
    path("calendar/<str:token>.ics", request_views.calendar_feed, name="calendar_feed"),
]
