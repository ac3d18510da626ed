"""Benchmark-only routes, mounted at /bench/ by config.urls when BENCH_ENDPOINTS is on."""

from django.urls import path

from bench import views

app_name = "bench"

urlpatterns = [
    path("bare", views.bare, name="bare"),
    path("insert", views.insert, name="insert"),
]
