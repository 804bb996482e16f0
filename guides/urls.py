from django.urls import path

from guides import views

app_name = "guides"
urlpatterns = [
    path("", views.home, name="home"),
    path("region/", views.set_region, name="set_region"),
    path("platforms/", views.catalog, name="catalog"),
    path("platforms/<slug:slug>/", views.platform_detail, name="platform"),
    path("platforms/<slug:platform_slug>/<slug:guide_slug>/", views.guide_detail, name="guide"),
]
