"""Accounts: register, sign in (with the SMS code), forgot password, profile, agents; mounted at /account/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.portal import account_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.account_page, name="account"),
    path("login/", views.login, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.logout, name="logout"),
    path("register/", views.register, name="register"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/confirm/", views.password_reset_confirm, name="password_reset_confirm"),
    path("contact/", views.contact, name="account_contact"),
    path("sign-in-code/", views.second_factor, name="account_second_factor"),
    path("sign-in-code/confirm/", views.second_factor_confirm, name="second_factor_confirm"),
    path("real-name/", views.realname_check, name="account_realname"),
    path("agents/", views.agent_add, name="account_agent_add"),
    path("agents/<int:pk>/revoke/", views.agent_revoke, name="account_agent_revoke"),
]
