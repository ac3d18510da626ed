"""Marches: public URLs (under each language's prefix): a participant's private room and its forms."""

from django.urls import path

from campaigns.marches import views

urlpatterns = [
    path("you/<str:token>/", views.participant_room, name="marches_participant"),
    path("you/<str:token>/act/", views.participant_act, name="marches_participant_act"),
]
