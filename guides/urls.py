from django.urls import path

from guides import calendar_feeds, feeds, views

app_name = "guides"
urlpatterns = [
    path("", views.home, name="home"),
    path("region/", views.set_region, name="set_region"),
    path("platforms/", views.catalog, name="catalog"),
    path("platforms/<slug:slug>/", views.platform_detail, name="platform"),
    path("platforms/<slug:platform_slug>/<slug:guide_slug>/", views.guide_detail, name="guide"),
    path("changes.atom", feeds.PolicyChangesFeed(), name="changes_feed"),
    path("platforms/<slug:slug>/changes.atom", feeds.PolicyChangesFeed(), name="platform_feed"),
    path("api/platforms.json", feeds.platforms_json, name="platforms_json"),
    path("deadlines.ics", calendar_feeds.all_deadlines, name="deadlines_ics"),
    path(
        "platforms/<slug:slug>/deadlines.ics",
        calendar_feeds.platform_deadlines,
        name="platform_deadlines_ics",
    ),
]
