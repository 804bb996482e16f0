from django.urls import include, path

from tracker import views

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
]
