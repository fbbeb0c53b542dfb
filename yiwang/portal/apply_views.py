"""Online application pages: start from the guide, fill in the draft, review and submit,
the receipt, and the supplement the one-time notice asks for. Thin: each request parses
its input, calls ``yiwang.portal.applications`` and renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from yiwang.cases import qr
from yiwang.catalog.models import FieldKind
from yiwang.core.identifiers import mask_mobile, mask_resident_id, mask_uscc
from yiwang.portal import applications as apps
from yiwang.portal.dynamic_forms import ApplicationForm
from yiwang.portal.errors import PortalError
from yiwang.portal.models import Account, Draft

LOGIN_URL = "portal:login"
ACCEPT_FILES = ".pdf,.jpg,.jpeg,.png,.ofd,application/pdf,image/jpeg,image/png"


def _refused(
    request: HttpRequest, error: PortalError, version: Any = None, status: int = 403
) -> HttpResponse:
    template = (
        "portal/apply/unverified.html"
        if error.error_code == apps.Code.UNVERIFIED
        else "portal/apply/refused.html"
    )
    return render(
        request, template, {"error": error.text, "code": error.error_code, "version": version}, status=status
    )


def _no_store(response: HttpResponseBase) -> HttpResponseBase:
    response["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- start


@login_required(login_url=LOGIN_URL)
@require_http_methods(["GET", "POST"])
def apply_start(request: HttpRequest, code: str) -> HttpResponse:
    version = apps.version_in_force(code)
    if version is None:
        return render(request, "portal/items/not_found.html", {"code": code}, status=404)
    try:
        apps.check_can_apply(request.user, version)
    except PortalError as error:
        if error.error_code != apps.Code.TARGET:
            return _refused(request, error, version)
    accounts = [a for a in apps.acting_accounts(request.user) if a.is_verified]
    eligible = [a for a in accounts if apps.target_allows(version, a)]
    error = ""
    status = 200
    if request.method == "POST":
        chosen = _chosen_account(request.POST.get("account"), eligible)
        if chosen is None:
            error = _("Choose on whose behalf you apply.")
            status = 400
        else:
            try:
                draft = apps.draft_start(user=request.user, version=version, account=chosen)
            except PortalError as exc:
                error, status = exc.text, 400
            else:
                return redirect("portal:apply_draft", pk=draft.pk)
    if not eligible:
        target_error = PortalError(
            _(
                "“%(service)s” is for enterprises and organisations. Ask the enterprise to authorise you as its agent, or sign in with its account."
            )
            % {"service": version.name}
            if version.target == "enterprise"
            else _("“%(service)s” is for individuals; apply with your own account.")
            % {"service": version.name},
            apps.Code.TARGET,
        )
        return _refused(request, target_error, version)
    open_drafts = {
        d.account_id: d
        for d in apps.open_drafts(request.user).filter(item_id=version.item_id, account__in=eligible)
    }
    materials = list(version.materials.all())
    context = {
        "version": version,
        "item": version.item,
        "accounts": eligible,
        "open_drafts": open_drafts,
        "choices": [(a, open_drafts.get(a.pk)) for a in eligible],
        "materials": materials,
        "required_count": sum(1 for m in materials if m.necessity == "required"),
        "field_count": version.form_fields.count(),
        "error": error,
        "selected": request.POST.get("account") or (str(eligible[0].pk) if eligible else ""),
    }
    return render(request, "portal/apply/start.html", context, status=status)


def _chosen_account(value: str | None, accounts: list[Account]) -> Account | None:
    if len(accounts) == 1 and not value:
        return accounts[0]
    return next((a for a in accounts if str(a.pk) == (value or "")), None)


# --------------------------------------------------------------------------- draft


def _draft_or_404(request: HttpRequest, pk: int) -> Draft:
    draft = apps.draft_for(request.user, pk)
    if draft is None:
        raise Http404(_("No such draft."))
    return draft


def _page_data(draft: Draft) -> tuple[list[Any], list[apps.MaterialSlot]]:
    form_fields = list(draft.version.form_fields.all())
    materials = list(draft.version.materials.all())
    files = list(draft.files.order_by("uploaded_at", "pk"))
    return form_fields, apps.material_slots(draft, materials=materials, files=files)


@login_required(login_url=LOGIN_URL)
@require_http_methods(["GET", "POST"])
def apply_draft(request: HttpRequest, pk: int) -> HttpResponseBase:
    draft = _draft_or_404(request, pk)
    if draft.is_submitted:
        return redirect("portal:apply_receipt", number=draft.case.number)  # type: ignore[union-attr]
    current = apps.version_in_force(draft.item.code)
    if request.method == "GET" and (current is None or current.pk != draft.version_id):
        try:
            if apps.draft_follow_version(draft=draft, user=request.user):
                messages.warning(
                    request,
                    _(
                        "The service guide has been revised; your draft now follows the new version. Please check it again."
                    ),
                )
                draft = _draft_or_404(request, pk)
        except PortalError as error:
            return _refused(request, error, draft.version, status=410)
    upload_errors: dict[int, list[str]] = {}
    show_errors = False
    if request.method == "POST":
        upload_errors = _save(request, draft)
        action = request.POST.get("action", "save")
        if not upload_errors:
            if action == "review":
                form_fields, slots = _page_data(draft)
                form = apps.draft_form(draft, form_fields)
                if not apps.problems(form, slots):
                    return redirect("portal:apply_review", pk=draft.pk)
                show_errors = True
            elif action == "save":
                messages.success(
                    request, _("Draft saved. You can come back to it at any time from “My drafts”.")
                )
                return redirect("portal:apply_draft", pk=draft.pk)
            else:
                return redirect(f"{request.path}#materials")
    form_fields, slots = _page_data(draft)
    if show_errors:
        form = apps.draft_form(draft, form_fields)
        found = apps.problems(form, slots)
    else:
        form = ApplicationForm(initial=draft.form_data, form_fields=form_fields)
        found = []
    form.describe()
    for slot in slots:
        slot.errors = upload_errors.get(slot.material.pk, [])  # type: ignore[attr-defined]
    context = {
        "draft": draft,
        "version": draft.version,
        "item": draft.version.item,
        "account": draft.account,
        "form": form,
        "slots": slots,
        "problems": found,
        "upload_errors": bool(upload_errors),
        "general_errors": upload_errors.get(0, []),
        "accept": ACCEPT_FILES,
        "max_bytes": _max_bytes(),
    }
    status = 400 if upload_errors or found else 200
    return _no_store(render(request, "portal/apply/draft.html", context, status=status))


def _max_bytes() -> int:
    from yiwang.cases.uploads import max_upload_bytes

    return max_upload_bytes()


def _save(request: HttpRequest, draft: Draft) -> dict[int, list[str]]:
    """Everything the draft page sends: the answers, reuse choices, removals and uploads.
    Refused uploads come back as messages by material; the rest is kept."""
    user = request.user
    errors: dict[int, list[str]] = {}
    try:
        apps.draft_save_form(draft=draft, user=user, data=request.POST)
    except PortalError as error:
        errors.setdefault(0, []).append(error.text)
        return errors
    material_ids = list(draft.version.materials.values_list("pk", flat=True))
    remove = request.POST.get("remove_file")
    if remove and remove.isdigit():
        try:
            apps.draft_remove_file(draft=draft, user=user, file_id=int(remove))
        except PortalError as error:
            errors.setdefault(0, []).append(error.text)
    for material_id in material_ids:
        choice = request.POST.get(f"reuse-{material_id}")
        if choice is not None:
            current = apps.stored_key(draft.reuse.get(str(material_id)))
            wanted = None if choice == "upload" else choice
            if wanted != current:
                try:
                    apps.draft_choose_reuse(draft=draft, user=user, material_id=material_id, key=wanted)
                except PortalError as error:
                    errors.setdefault(material_id, []).append(error.text)
        for upload in request.FILES.getlist(f"material-{material_id}"):
            try:
                apps.draft_add_file(draft=draft, user=user, material_id=material_id, upload=upload)
            except PortalError as error:
                errors.setdefault(material_id, []).append(error.text)
    unknown = [k for k in request.FILES if k.removeprefix("material-") not in {str(m) for m in material_ids}]
    if unknown:
        errors.setdefault(0, []).append(
            _("A file was sent for something that is not a material of this application.")
        )
    return errors


@login_required(login_url=LOGIN_URL)
@require_safe
def draft_file(request: HttpRequest, pk: int, file_pk: int) -> HttpResponseBase:
    draft = _draft_or_404(request, pk)
    stored = draft.files.filter(pk=file_pk).first()
    if stored is None:
        raise Http404(_("No such file."))
    response = FileResponse(stored.file.open("rb"), content_type=stored.content_type, filename=stored.name)
    response["Content-Disposition"] = response["Content-Disposition"].replace("attachment", "inline", 1)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return _no_store(response)


@login_required(login_url=LOGIN_URL)
@require_safe
def drafts(request: HttpRequest) -> HttpResponse:
    rows = list(apps.open_drafts(request.user))
    return render(request, "portal/apply/drafts.html", {"drafts": rows})


@login_required(login_url=LOGIN_URL)
@require_http_methods(["GET", "POST"])
def draft_delete(request: HttpRequest, pk: int) -> HttpResponseBase:
    draft = _draft_or_404(request, pk)
    if draft.is_submitted:
        return redirect("portal:apply_receipt", number=draft.case.number)  # type: ignore[union-attr]
    if request.method == "POST":
        name = draft.version.name
        apps.draft_delete(draft=draft, user=request.user)
        messages.success(request, _("The draft application for “%(name)s” was deleted.") % {"name": name})
        return redirect("portal:drafts")
    return render(request, "portal/apply/delete.html", {"draft": draft})


# --------------------------------------------------------------------------- review and submit


@login_required(login_url=LOGIN_URL)
@require_http_methods(["GET", "POST"])
def apply_review(request: HttpRequest, pk: int) -> HttpResponseBase:
    draft = _draft_or_404(request, pk)
    if draft.is_submitted:
        return redirect("portal:apply_receipt", number=draft.case.number)  # type: ignore[union-attr]
    error = ""
    if request.method == "POST":
        try:
            case = apps.draft_submit(draft=draft, user=request.user)
        except PortalError as exc:
            error = exc.text
        else:
            return redirect("portal:apply_receipt", number=case.number)
    form_fields, slots = _page_data(draft)
    form = apps.draft_form(draft, form_fields)
    found = apps.problems(form, slots)
    rows = [(f.label, draft.form_data.get(f.name, "")) for f in form_fields]
    if form.is_valid():
        rows = form.display_rows()
    context = {
        "draft": draft,
        "version": draft.version,
        "item": draft.version.item,
        "account": draft.account,
        "rows": rows,
        "slots": slots,
        "problems": found,
        "error": error,
    }
    status = 400 if error else 200
    return _no_store(render(request, "portal/apply/review.html", context, status=status))


# --------------------------------------------------------------------------- receipt and supplement


def _case_or_404(request: HttpRequest, number: str) -> Any:
    case = apps.case_for(request.user, number)
    if case is None:
        raise Http404(_("No such case."))
    return case


@login_required(login_url=LOGIN_URL)
@require_safe
def apply_receipt(request: HttpRequest, number: str) -> HttpResponseBase:
    case = _case_or_404(request, number)
    files = list(case.files.select_related("material").order_by("pk"))
    version = case.item_version
    form_fields = list(version.form_fields.all())
    answers = [(f.label, _shown(f.kind, case.form_data.get(f.name, ""))) for f in form_fields]
    context = {
        "case": case,
        "version": version,
        "files": files,
        "answers": answers,
        "licenses": _licenses(case, version),
        "expected_due": apps.expected_due_date(case),
        "progress_url": qr.progress_url(case, request),
        "qr_svg": qr.qr_svg(case, request),
        "printed_at": timezone.localtime(),
    }
    response = render(request, "portal/apply/receipt.html", context)
    response["Referrer-Policy"] = "same-origin"  # the page holds the progress link's token
    return _no_store(response)


def _shown(kind: str, value: Any) -> str:
    """An answer as the receipt prints it: identifiers and mobile numbers masked."""
    text = str(value if value is not None else "")
    if not text:
        return ""
    if kind == FieldKind.ID_NUMBER:
        return mask_resident_id(text)
    if kind == FieldKind.USCC:
        return mask_uscc(text)
    if kind == FieldKind.MOBILE:
        return mask_mobile(text)
    return text


def _licenses(case: Any, version: Any) -> list[tuple[str, str]]:
    refs = case.form_data.get(apps.LICENSES_KEY) or []
    if not refs:
        return []
    names = dict(version.materials.values_list("pk", "name"))
    return [(names.get(r.get("material"), ""), str(r.get("identifier", ""))) for r in refs]


@login_required(login_url=LOGIN_URL)
@require_http_methods(["GET", "POST"])
def supplement(request: HttpRequest, number: str) -> HttpResponseBase:
    case = _case_or_404(request, number)
    notice = apps.supplement_notice(case)
    if notice is None:
        status = 409 if request.method == "POST" else 200
        return render(request, "portal/apply/supplement_closed.html", {"case": case}, status=status)
    if case.applicant_user_id != request.user.pk:
        # An enterprise signed in as itself sees the notice; the agent who filed hands it in.
        context = {"case": case, "notice": notice, "filer_only": True}
        return _no_store(
            render(
                request,
                "portal/apply/supplement.html",
                context,
                status=403 if request.method == "POST" else 200,
            )
        )
    error = ""
    if request.method == "POST":
        files = {key.removeprefix("supplement-"): request.FILES.getlist(key) for key in request.FILES}
        try:
            apps.supplement_submit(case=case, user=request.user, files=files)
        except PortalError as exc:
            error = exc.text
        else:
            messages.success(
                request,
                _(
                    "Your supplementary materials were handed in. The department will now decide on acceptance."
                ),
            )
            return redirect("portal:apply_receipt", number=case.number)
    context = {
        "case": case,
        "notice": notice,
        "error": error,
        "accept": ACCEPT_FILES,
        "max_bytes": _max_bytes(),
    }
    return _no_store(render(request, "portal/apply/supplement.html", context, status=400 if error else 200))
