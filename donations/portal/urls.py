"""The portal's gift pages, under each language's prefix (/account/gifts/..., /ar/account/gifts/...)."""

from django.urls import path

from donations.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.gifts, name="gifts"),
    path("<uuid:reference>/receipt/", views.receipt_pdf, name="receipt"),
    path("statements/<int:year>/", views.statement_pdf, name="statement"),
    path("monthly/<uuid:reference>/", views.monthly, name="monthly"),
    path("monthly/<uuid:reference>/amount/", views.monthly_amount, name="monthly_amount"),
    path("monthly/<uuid:reference>/day/", views.monthly_day, name="monthly_day"),
    path("monthly/<uuid:reference>/pause/", views.monthly_pause, name="monthly_pause"),
    path("monthly/<uuid:reference>/resume/", views.monthly_resume, name="monthly_resume"),
    path("monthly/<uuid:reference>/cancel/", views.monthly_cancel, name="monthly_cancel"),
    path("card/", views.card, name="card"),
    path("card/done/", views.card_done, name="card_done"),
    path("card/link/<str:token>/", views.card_token, name="card_token"),
    path("card/link/<str:token>/done/", views.card_done_token, name="card_done_token"),
]
