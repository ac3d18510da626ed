"""The ledger's public JSON, outside the language prefixes: /ledger/..."""

from django.urls import path

from donations.ledger import views

app_name = "ledger"

urlpatterns = [
    path("checkpoints.json", views.checkpoints, name="checkpoints"),
    path("public-key", views.public_key, name="public_key"),
    path("proof/inclusion/<int:seq>.json", views.inclusion, name="inclusion"),
    path("proof/consistency.json", views.consistency, name="consistency"),
    path("export.json", views.export, name="export"),
    path("verifier.py", views.verifier, name="verifier"),
]
