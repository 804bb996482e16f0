"""Reminder subscription URLs; tracker/urls.py includes them in the `tracker` namespace."""

from django.urls import path

from tracker import subscriptions

urlpatterns = [
    path("subscribe/", subscriptions.subscribe, name="subscribe"),
    path("subscribe/sent/", subscriptions.subscribe_sent, name="subscribe_sent"),
    path("subscribe/confirm/<str:token>/", subscriptions.confirm, name="confirm"),
    path("subscription/<str:token>/", subscriptions.manage, name="manage"),
    path("unsubscribe/<str:token>/", subscriptions.unsubscribe, name="unsubscribe"),
]
