"""Accounts: register, sign in (with the SMS code), profile, agents; mounted at /account/."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
