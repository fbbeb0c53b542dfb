"""The citizen's rating page (/rate/<case number>/, ``portal:rate``): the levels of the
scale in force and an optional comment; once rated, the thanks and, for a poor rating,
what happens next and how far it has got.

A case that is not the user's answers 404 as if it did not exist; the user's own case
that cannot be rated yet (still being handled) answers 409 with the reason; a refused
rating is shown on the form with status 422 and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from yiwang.cases.models import Case, CaseState
from yiwang.portal import ratings
from yiwang.portal.errors import PortalError
from yiwang.portal.models.ratings import Rating

INVALID = 422
CONFLICT = 409


class RatingForm(forms.Form):
    """The choice and the comment as typed; the service checks both (its messages name
    the levels of the scale and the comment's length)."""

    level = forms.CharField(required=False)
    comment = forms.CharField(required=False, strip=False)


def _login_url() -> str:
    try:
        return reverse("portal:login")
    except NoReverseMatch:  # the accounts pages are not mounted (yet)
        return str(settings.LOGIN_URL)


def apply_error(form: forms.Form, error: PortalError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.text)


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)  # a person's own case
    return response


def _rated(request: HttpRequest, case: Case, rating: Rating, status: int = 200) -> HttpResponse:
    follow_up = getattr(rating, "follow_up", None)
    context = {
        "case": case,
        "rating": rating,
        "level_label": ratings.level_label(rating.level),
        "follow_up": follow_up,
        "workdays": settings.PORTAL_RATING_FOLLOWUP_WORKDAYS,
    }
    return _render(request, "portal/rate/done.html", context, status)


@require_http_methods(["GET", "HEAD", "POST"])
def rate(request: HttpRequest, number: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), _login_url())
    case = ratings.case_for_rating(number, request.user)
    if case is None:
        return _render(request, "portal/rate/not_found.html", {"number": number}, status=404)
    rating = ratings.rating_of(case)
    if rating is not None:
        return _rated(request, case, rating, CONFLICT if request.method == "POST" else 200)
    if not ratings.is_rateable(case):
        context = {"case": case, "state": CaseState(case.state).label}
        return _render(request, "portal/rate/not_yet.html", context, status=CONFLICT)
    scale = ratings.scale_in_force()
    form = RatingForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            ratings.rate_case(
                case=case,
                user=request.user,
                level=form.cleaned_data["level"],
                comment=form.cleaned_data["comment"],
            )
        except PortalError as error:
            apply_error(form, error)
            status = CONFLICT if error.error_code == ratings.RatingErrorCode.ALREADY_RATED else INVALID
        else:
            return redirect("portal:rate", number=case.number)
    chosen = form.data.get("level", "") if form.is_bound else ""
    context = {
        "case": case,
        "form": form,
        "levels": scale.levels,
        "chosen": chosen,
        "comment_max": ratings.COMMENT_MAX,
    }
    return _render(request, "portal/rate/form.html", context, status)
