"""Supporter sign-in and the account page, under each language's prefix (/account/..., /ar/account/...)."""

from django.urls import path

from supporters import privacy_views, views

app_name = "supporters"

urlpatterns = [
    path("", views.account, name="account"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/sent/", views.sign_in_sent, name="sign_in_sent"),
    path("sign-in/<str:token>/", views.sign_in_confirm, name="sign_in_confirm"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("preferences/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # Privacy rights (supporters/privacy.py, docs/privacy.md).
    path("privacy/", privacy_views.privacy_index, name="privacy"),
    path("privacy/export/", privacy_views.privacy_export_request, name="privacy_export"),
    path("privacy/export/<str:token>/", privacy_views.privacy_export_download, name="privacy_export_download"),
    path("privacy/erase/", privacy_views.privacy_erase, name="privacy_erase"),
    path("privacy/erase/<str:token>/", privacy_views.privacy_erase_confirm, name="privacy_erase_confirm"),
    path(
        "privacy/consents/<str:topic>/withdraw/",
        privacy_views.privacy_consent_withdraw,
        name="privacy_consent_withdraw",
    ),
]
