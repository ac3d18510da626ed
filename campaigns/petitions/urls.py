"""Petitions: public URLs (under each language's prefix, in the `campaigns` namespace)."""

from django.urls import path

from campaigns.petitions import views

urlpatterns = [
    path("<int:page_id>/sign/", views.sign, name="petitions_sign"),
    path("<int:page_id>/thanks/", views.thanks, name="petitions_thanks"),
    path("<int:page_id>/count.json", views.count_json, name="petitions_count"),
    path("<int:page_id>/regions.json", views.regions_json, name="petitions_regions"),
    path("<int:page_id>/embed/", views.embed, name="petitions_embed"),
    path("<int:page_id>/embed/sign/", views.embed_sign, name="petitions_embed_sign"),
    path("confirm/<int:signature_id>/<str:token>/", views.confirm, name="petitions_confirm"),
    path("updates/stop/<int:signature_id>/<str:token>/", views.updates_stop, name="petitions_updates_stop"),
]
