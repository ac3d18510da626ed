"""Proposals: public URLs (under each language's prefix: /act/proposals/ and /ar/act/proposals/)."""

from django.urls import path

from campaigns.proposals import views

urlpatterns = [
    path("", views.ranking, name="proposals_ranking"),
    path("new/", views.propose, name="proposals_create"),
    path("mine/", views.mine, name="proposals_mine"),
    path("<int:pk>/", views.detail, name="proposals_detail"),
    path("<int:pk>/vote/", views.vote, name="proposals_vote"),
    path("<int:pk>/withdraw/", views.withdraw, name="proposals_withdraw"),
]
