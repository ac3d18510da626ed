"""The donor's path (under each language's prefix)."""

from django.urls import path

from donations import views

app_name = "donations"

urlpatterns = [
    path("start/", views.start, name="start"),
    path("<uuid:reference>/monthly/", views.upsell, name="upsell"),
    path("<uuid:reference>/pay/", views.pay, name="pay"),
    path("<uuid:reference>/authenticate/", views.authenticate, name="authenticate"),
    path("<uuid:reference>/return/", views.stripe_return, name="stripe_return"),
    path("<uuid:reference>/thanks/", views.thanks, name="thanks"),
]
