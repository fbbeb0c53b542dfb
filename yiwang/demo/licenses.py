"""Demo e-licenses: the directory of license types the demo's materials name
(``data.LICENSE_TYPES``), the licenses of the demo's completed, approved licence cases
(issued by the case ledger's receiver as the cases are seeded; any missing are issued
here through the same service), and two licenses received from departmental systems so
that 一号申请 can be shown: ``zhangsan``'s resident identity card and ``congtai``'s
business license. They stand in for the materials "申请人居民身份证" (户口迁移,
普通护照签发, 社会保障卡申领 …) and "申请人营业执照" (食品经营许可, 食品生产许可 …).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from yiwang.cases.models import Case, CaseState, Decision
from yiwang.catalog.models import ItemVersion, ResultType, VersionStatus
from yiwang.demo import data
from yiwang.licenses.models import HolderKind, License, LicenseType
from yiwang.licenses.services import license_issue, license_issue_for_case
from yiwang.org.models import Department

SOURCE = "演示数据"


def seed_license_types() -> int:
    """Register the demo's license types (name → code); returns how many were added.
    Call it before the demo cases are seeded, so that the licenses their completions
    issue carry the directory's codes rather than ones registered under the issuer."""
    existing = set(LicenseType.objects.values_list("name", flat=True))
    added = [
        LicenseType(code=code, name=name) for name, code in data.LICENSE_TYPES.items() if name not in existing
    ]
    LicenseType.objects.bulk_create(added, ignore_conflicts=True)
    return len(added)


def _issuer_of(result_name: str) -> Department | None:
    """The department of a published item whose result is ``result_name``."""
    version = (
        ItemVersion.objects.filter(status=VersionStatus.PUBLISHED, result_name=result_name)
        .select_related("item__department")
        .order_by("item__code")
        .first()
    )
    return version.item.department if version is not None else None


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _held(username: str, result_name: str, *, since: dt.date, years: int | None) -> int:
    from yiwang.portal.models import Account

    account = Account.objects.filter(user__username=username, verified_at__isnull=False).first()
    issuer = _issuer_of(result_name)
    code = data.LICENSE_TYPES[result_name]
    if account is None or issuer is None:
        return 0
    if License.objects.filter(holder_id_number=account.id_number, license_type=code).exists():
        return 0
    enterprise = account.is_enterprise
    license_issue(
        user=None,
        license_type=code,
        name=result_name,
        number=account.id_number,  # both a business license and an ID card carry the holder's code
        holder_name=account.name,
        holder_id_number=account.id_number,
        holder_kind=HolderKind.USCC if enterprise else HolderKind.RESIDENT_ID,
        issuer=issuer,
        issued_on=since,
        valid_until=_years_before(since, -years) if years else None,
        source=SOURCE,
    )
    return 1


@transaction.atomic
def seed_licenses(now: dt.datetime | None = None) -> int:
    """Create the demo's e-licenses that are missing; returns how many were created."""
    today = timezone.localdate(now or timezone.now())
    seed_license_types()
    created = 0
    issued_cases = License.objects.filter(case__isnull=False).values("case_id")
    pending = (
        Case.objects.filter(
            state__in=(CaseState.COMPLETED, CaseState.DELIVERED),
            decision=Decision.APPROVED,
            item_version__result_type=ResultType.LICENSE,
        )
        .exclude(pk__in=issued_cases)
        .select_related("item_version", "department", "region")
    )
    for case in pending:
        if license_issue_for_case(case=case) is not None:
            created += 1
    # Ten years ago: a resident ID card of an adult under 26 runs ten years (居民身份证法 §5),
    # so this one is still valid for a while; a business license has no end.
    created += _held("zhangsan", "居民身份证", since=_years_before(today, 9), years=10)
    created += _held("congtai", "营业执照", since=_years_before(today, 3), years=None)
    return created
