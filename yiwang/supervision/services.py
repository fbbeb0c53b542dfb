"""Every write of electronic supervision: rules, watches, the sweep, alerts, notices, findings.

The sweep (``sweep(at)``) reads only the watches whose ``next_at`` has come, locks them
(``SKIP LOCKED`` on PostgreSQL, so two workers share the work), raises the alerts due,
and moves ``next_at`` on. An alert is unique per case, subject and level: whatever runs
twice, it is raised once. Supervisors never change case data: the only thing supervision
writes into a case's ledger is the record of a notice it issued.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.cases.models import SUPERVISION_EVENTS, Case, CaseEvent, CaseState
from yiwang.cases.services import case_record_notice, extension_cap, template_for
from yiwang.cases.workflow import EMPTY, CaseView, Template, TransitionError, apply_event
from yiwang.catalog.models import ItemVersion
from yiwang.org.models import Department, Region, Role, RoleAssignment
from yiwang.org.permissions import can_act, scope_of, staff_of
from yiwang.supervision import facts as daily_facts
from yiwang.supervision import rules
from yiwang.supervision.models import (
    Alert,
    AlertAction,
    AlertStatus,
    DetectorSetting,
    Irregularity,
    Level,
    Notice,
    NoticeKind,
    NoticeSequence,
    RuleAssignment,
    RuleSet,
    RuleSetVersion,
    Stage,
    Target,
    Watch,
)
from yiwang.supervision.presets import DEFAULT_GLOBAL, PRESETS

logger = logging.getLogger(__name__)

User = AbstractBaseUser | AnonymousUser

# Roles whose events make their author the case's handler (never the applicant, a
# supervisor or the parallel-approval machinery).
HANDLER_ROLES = frozenset(
    {Role.WINDOW_OPERATOR, Role.HANDLER, Role.REVIEWER, Role.APPROVER, Role.LEADER, Role.MAINTAINER}
)

OPEN_STATES = (
    CaseState.SUBMITTED,
    CaseState.SUPPLEMENT,
    CaseState.IN_PROGRESS,
    CaseState.SUSPENDED,
    CaseState.DECIDED,
)


class SupervisionErrorCode(models.TextChoices):
    BAD_RULES = "bad_rules", _("the rules are not a usable ladder")
    IMMUTABLE = "immutable", _("published rules cannot change")
    FORBIDDEN = "forbidden", _("not allowed for this user")
    ILLEGAL_IN_STATE = "illegal_in_state", _("not possible in the alert's state")
    BAD_INPUT = "bad_input", _("bad input")


class SupervisionError(ValidationError):
    def __init__(self, message: str, code: str, field: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field

    @property
    def text(self) -> str:
        return self.messages[0]


# --------------------------------------------------------------------------- rule sets


def _stage_rules(stages: Iterable[Stage | rules.StageRule | Mapping[str, Any]]) -> list[rules.StageRule]:
    result = []
    for s in stages:
        if isinstance(s, rules.StageRule):
            result.append(s)
        elif isinstance(s, Stage):
            result.append(rules.StageRule(s.target, s.level, s.anchor, s.workdays, s.percent, s.notice_kind))
        else:
            try:
                workdays = int(s.get("workdays"))  # type: ignore[arg-type]
                percent = s.get("percent")
                percent = int(percent) if percent not in (None, "") else None
            except (TypeError, ValueError):
                raise SupervisionError(
                    _("Working days and shares are whole numbers."), SupervisionErrorCode.BAD_RULES
                ) from None
            result.append(
                rules.StageRule(
                    str(s.get("target", "")),
                    str(s.get("level", "")),
                    str(s.get("anchor", "")),
                    workdays,
                    percent,
                    str(s.get("notice_kind", "") or ""),
                )
            )
    return result


@transaction.atomic
def ruleset_new_version(
    *,
    rule_set: RuleSet,
    stages: Iterable[Any],
    note: str = "",
    user: User | None = None,
    publish: bool = True,
) -> RuleSetVersion:
    """A new version of ``rule_set`` with ``stages`` (published unless told otherwise).
    Stages out of order, negative thresholds and the like are refused, nothing saved."""
    stage_rules = _stage_rules(stages)
    if not stage_rules:
        raise SupervisionError(
            _("A rule set version needs at least one stage."), SupervisionErrorCode.BAD_RULES
        )
    errors = rules.ladder_errors(stage_rules)
    if errors:
        raise SupervisionError(" ".join(errors), SupervisionErrorCode.BAD_RULES)
    RuleSet.objects.select_for_update().get(pk=rule_set.pk)
    last = rule_set.versions.aggregate(m=models.Max("number"))["m"] or 0
    version = RuleSetVersion.objects.create(rule_set=rule_set, number=last + 1, note=note.strip())
    Stage.objects.bulk_create(
        Stage(
            version=version,
            target=s.target,
            level=s.level,
            anchor=s.anchor,
            workdays=s.workdays,
            percent=s.percent,
            notice_kind=s.notice_kind,
        )
        for s in stage_rules
    )
    if publish:
        version = ruleset_publish(version=version, user=user)
    return version


@transaction.atomic
def ruleset_publish(*, version: RuleSetVersion, user: User | None = None) -> RuleSetVersion:
    version = RuleSetVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        raise SupervisionError(_("This version is already published."), SupervisionErrorCode.IMMUTABLE)
    stage_rules = _stage_rules(version.stages.all())
    if not stage_rules:
        raise SupervisionError(
            _("A rule set version needs at least one stage."), SupervisionErrorCode.BAD_RULES
        )
    errors = rules.ladder_errors(stage_rules)
    if errors:
        raise SupervisionError(" ".join(errors), SupervisionErrorCode.BAD_RULES)
    RuleSetVersion.objects.filter(pk=version.pk).update(
        published_at=timezone.now(),
        published_by=user if user is not None and user.is_authenticated else None,
    )
    version.refresh_from_db()
    forget_rules()
    _rewatch_later(rule_set_id=version.rule_set_id)
    return version


@transaction.atomic
def ruleset_assign(
    *,
    rule_set: RuleSet,
    region: Region | None = None,
    department: Department | None = None,
    item: Any = None,
) -> RuleAssignment:
    """Attach ``rule_set`` to a scope, replacing what was attached there before."""
    if sum(x is not None for x in (region, department, item)) > 1:
        raise SupervisionError(
            _("Attach a rule set to one region, one department or one item, not several."),
            SupervisionErrorCode.BAD_INPUT,
        )
    if not rule_set.versions.filter(published_at__isnull=False).exists():
        raise SupervisionError(
            _("Rule set “%(name)s” has no published version yet.") % {"name": rule_set.name},
            SupervisionErrorCode.BAD_RULES,
        )
    if region is None and department is None and item is None:
        RuleAssignment.objects.filter(region=None, department=None, item=None).delete()
    else:
        RuleAssignment.objects.filter(region=region, department=department, item=item).delete()
    assignment = RuleAssignment.objects.create(
        rule_set=rule_set, region=region, department=department, item=item
    )
    forget_rules()
    _rewatch_later(
        region_id=region.pk if region else None,
        department_id=department.pk if department else None,
        item_id=item.pk if item else None,
    )
    return assignment


def _rewatch_later(**scope: int | None) -> None:
    """After the commit, recompute the watches of the open cases a rule change covers (a
    background task: a global change may cover a million cases)."""
    from yiwang.supervision import tasks

    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        transaction.on_commit(lambda: tasks.rewatch(**scope))  # in-process: no task machinery
    else:
        transaction.on_commit(lambda: tasks.rewatch.delay(**scope))


def install_presets() -> list[RuleSet]:
    """Create the shipped rule sets (once) and attach the default one everywhere if
    nothing is attached globally. Idempotent."""
    created = []
    for code, spec in PRESETS.items():
        rule_set, _new = RuleSet.objects.get_or_create(
            code=code, defaults={"name": spec.name, "description": spec.description}
        )
        if not rule_set.versions.exists():
            ruleset_new_version(rule_set=rule_set, stages=spec.stages, note="预置")  # type: ignore[arg-type]
        created.append(rule_set)
    if not RuleAssignment.objects.filter(region=None, department=None, item=None).exists():
        RuleAssignment.objects.create(rule_set=RuleSet.objects.get(code=DEFAULT_GLOBAL))
        forget_rules()
    return created


# --------------------------------------------------------------------------- which ladder applies

_rules_cache: dict[str, Any] = {}


def forget_rules() -> None:
    _rules_cache.clear()


def forget_caches() -> None:
    """Drop every per-process cache of supervision (rules, fee standards, region paths)."""
    _rules_cache.clear()
    _FEES.clear()
    _PATHS.clear()


@receiver([post_save, post_delete], sender=RuleAssignment)
@receiver([post_save, post_delete], sender=RuleSetVersion)
def _rules_changed(**kwargs: Any) -> None:
    forget_rules()


def rules_stamp() -> tuple[Any, ...]:
    """One cheap query that changes whenever a version is published, an assignment is
    made or replaced, or a detector setting changes, in any process."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM supervision_rulesetversion WHERE published_at IS NOT NULL),"
            " (SELECT MAX(id) FROM supervision_rulesetversion WHERE published_at IS NOT NULL),"
            " (SELECT COUNT(*) FROM supervision_ruleassignment),"
            " (SELECT MAX(id) FROM supervision_ruleassignment),"
            " (SELECT COUNT(*) FROM supervision_detectorsetting),"
            " (SELECT MAX(updated_at) FROM supervision_detectorsetting)"
        )
        return tuple(cursor.fetchone())


def _snapshot(stamp: tuple[Any, ...] | None = None) -> dict[str, Any]:
    """Assignments and current versions, kept per process while the rule tables' stamp is
    unchanged: a rule published or attached by another process is seen at its next event."""
    stamp = stamp or rules_stamp()
    snap = _rules_cache.get("snapshot")
    if snap is not None and snap["stamp"] == stamp:
        return snap
    current: dict[int, int] = {}
    for rule_set_id, version_id in (
        RuleSetVersion.objects.filter(published_at__isnull=False)
        .order_by("rule_set_id", "number")
        .values_list("rule_set_id", "pk")
    ):
        current[rule_set_id] = version_id  # the highest published number wins
    by_item: dict[int, int] = {}
    by_department: dict[int, int] = {}
    by_region: dict[str, int] = {}
    global_set: int | None = None
    for a in RuleAssignment.objects.select_related("region"):
        if a.item_id:
            by_item[a.item_id] = a.rule_set_id
        elif a.department_id:
            by_department[a.department_id] = a.rule_set_id
        elif a.region is not None:
            by_region[a.region.path] = a.rule_set_id
        else:
            global_set = a.rule_set_id
    snap = {
        "stamp": stamp,
        "current": current,
        "item": by_item,
        "department": by_department,
        "region": by_region,
        "global": global_set,
    }
    _rules_cache["snapshot"] = snap
    return snap


def version_for(
    *, item_id: int, department_id: int, region_path: str, stamp: tuple[Any, ...] | None = None
) -> int | None:
    """The rule set version that applies: item, then department, then the nearest region,
    then the global assignment."""
    snap = _snapshot(stamp)
    rule_set_id = snap["item"].get(item_id) or snap["department"].get(department_id)
    if rule_set_id is None:
        best = ""
        for path, rs in snap["region"].items():
            if region_path.startswith(path) and len(path) > len(best):
                best, rule_set_id = path, rs
    if rule_set_id is None:
        rule_set_id = snap["global"]
    return snap["current"].get(rule_set_id) if rule_set_id is not None else None


def ladder(version_id: int) -> rules.Ladder:
    """The stages of a published version (immutable: cached for good)."""
    key = f"ladder:{version_id}"
    found = _rules_cache.get(key)
    if found is None:
        found = rules.Ladder(version_id, tuple(_stage_rules(Stage.objects.filter(version_id=version_id))))
        _rules_cache[key] = found
    return found


def ladder_of_rule_set(code: str) -> rules.Ladder:
    try:
        rule_set = RuleSet.objects.get(code=code)
    except RuleSet.DoesNotExist:
        raise SupervisionError(
            _("There is no rule set “%(code)s”.") % {"code": code}, SupervisionErrorCode.BAD_INPUT
        ) from None
    version = rule_set.versions.filter(published_at__isnull=False).order_by("-number").first()
    if version is None:
        raise SupervisionError(
            _("Rule set “%(name)s” has no published version yet.") % {"name": rule_set.name},
            SupervisionErrorCode.BAD_RULES,
        )
    return ladder(version.pk)


# --------------------------------------------------------------------------- the watch


def _raised(case_id: int) -> set[tuple[str, str]]:
    return set(Alert.objects.filter(case_id=case_id).values_list("subject_key", "level"))


_PATHS: dict[int, str] = {}


def _region_path(case: Case) -> str:
    path = _PATHS.get(case.region_id)
    if path is None:
        path = _PATHS[case.region_id] = Region.objects.values_list("path", flat=True).get(pk=case.region_id)
    return path


def refresh_watch(
    *,
    case: Case,
    view: CaseView,
    template: Template,
    event: CaseEvent | None = None,
    step_seq: int | None = None,
    stamp: tuple[Any, ...] | None = None,
) -> Watch:
    """Bring the case's watch up to date after ``event`` (the event hook)."""
    watch = Watch.objects.filter(case_id=case.pk).first()
    if watch is None:
        watch = Watch(case_id=case.pk)
    if event is not None and event.type in rules.STEP_STARTING_EVENTS:
        watch.step_seq = event.seq
    elif step_seq is not None:
        watch.step_seq = step_seq
    if event is not None and event.actor_id is not None and event.role in HANDLER_ROLES:
        watch.handler_id = event.actor_id
    subjects = rules.subjects_of(view, template, watch.step_seq)
    watch.subjects = [s.to_json() for s in subjects]
    if subjects:
        watch.rule_version_id = version_for(
            item_id=case.item_id,
            department_id=case.department_id,
            region_path=_region_path(case),
            stamp=stamp,
        )
        if watch.rule_version_id is not None:
            firings = rules.firings_of(subjects, ladder(watch.rule_version_id))
            earliest = min((f.moment for f in firings), default=None)
            # Only a moment already past can have been raised: most events need no look.
            raised = _raised(case.pk) if earliest is not None and earliest <= timezone.now() else set()
            watch.next_at = rules.next_moment(firings, raised)
        else:
            watch.next_at = None
    else:
        watch.next_at = None
    watch.save()
    return watch


def rewatch(cases: Iterable[Case]) -> int:
    """Recompute the watch of each case from its events (after a rule change or a rebuild)."""
    n = 0
    for case in cases:
        with transaction.atomic():
            # Lock as the case services do, so an event recorded meanwhile is not overwritten
            # by a watch computed from the events before it.
            case = Case.objects.select_for_update().get(pk=case.pk)
            template = template_for(case.item_version_id)
            view = EMPTY
            step_seq = None
            for event in case.events.order_by("seq"):
                view = apply_event(view, event, template)
                if event.type in rules.STEP_STARTING_EVENTS:
                    step_seq = event.seq
            refresh_watch(case=case, view=view, template=template, step_seq=step_seq)
            n += 1
    return n


def rewatch_scope(
    *,
    rule_set_id: int | None = None,
    region: Region | None = None,
    department: Department | None = None,
    item: Any = None,
) -> int:
    """Recompute the watches of open cases a rule change may affect."""
    qs = Case.objects.filter(state__in=OPEN_STATES).select_related("region")
    if rule_set_id is not None:
        qs = qs.filter(watch__rule_version__rule_set_id=rule_set_id)
    if item is not None:
        qs = qs.filter(item=item)
    elif department is not None:
        qs = qs.filter(department=department)
    elif region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    return rewatch(qs.iterator(chunk_size=500))


# --------------------------------------------------------------------------- recipients


def overseers(*, department_id: int, region_path: str) -> list[AbstractBaseUser]:
    """The department's head(s) and the supervisors whose scope covers it."""
    rows = (
        RoleAssignment.objects.filter(staff__is_active=True, staff__user__is_active=True)
        .filter(
            Q(role=Role.LEADER, department_id=department_id)
            | Q(role=Role.SUPERVISOR, department_id=department_id)
            | Q(role=Role.SUPERVISOR, department__isnull=True)
        )
        .select_related("region", "staff__user")
    )
    users: dict[int, AbstractBaseUser] = {}
    for row in rows:
        if row.region is not None and not region_path.startswith(row.region.path):
            continue
        users[row.staff.user.pk] = row.staff.user
    return list(users.values())


def tell(
    users: Iterable[AbstractBaseUser | None],
    *,
    subject: str,
    body: str,
    link: str,
    kind: str,
    at: dt.datetime,
) -> tuple[int, int]:
    """One message to each distinct user (inbox, email, SMS), for the talks' and the
    complaints' news; returns (people, messages accepted). The caller records the telling
    in its own history."""
    from yiwang.core.notify import Message, send

    people = {u.pk: u for u in users if u is not None and u.pk is not None}
    if not people:
        return 0, 0
    sent = send(
        [
            Message(recipient=u, subject=subject[:200], body=body, link=link, kind=kind)
            for u in people.values()
        ],
        at=at,
    )
    return len(people), sent


# --------------------------------------------------------------------------- the sweep


@dataclass
class SweepReport:
    at: dt.datetime
    watches: int = 0
    complaints: int = 0
    alerts: int = 0
    notices: int = 0
    messages: int = 0
    seconds: float = 0.0
    by_level: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        levels = ", ".join(f"{Level(k).label} {v}" for k, v in sorted(self.by_level.items()))
        return _(
            "Sweep as of %(at)s: %(watches)d cases and %(complaints)d complaints due, "
            "%(alerts)d alerts raised (%(levels)s), %(notices)d notices, %(messages)d messages, %(seconds).2f s."
        ) % {
            "at": timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M"),
            "watches": self.watches,
            "complaints": self.complaints,
            "alerts": self.alerts,
            "levels": levels or "-",
            "notices": self.notices,
            "messages": self.messages,
            "seconds": self.seconds,
        }


def _lock_due(at: dt.datetime, batch: int) -> list[Watch]:
    qs = Watch.objects.filter(next_at__lte=at).order_by("next_at")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs.select_related("case", "case__region", "case__department", "case__item_version")[:batch])


def alert_text(alert: Alert, case: Case) -> tuple[str, str]:
    """Subject and body of the message that tells people about an alert."""
    what = {
        Target.ACCEPTANCE: _("the acceptance decision"),
        Target.STEP: _("step “%(step)s”") % {"step": alert.subject_name},
        Target.CASE: _("the promised time limit"),
    }[Target(alert.target)]
    subject = _("[%(level)s] Case %(number)s: %(what)s, due %(due)s") % {
        "level": Level(alert.level).label,
        "number": case.number,
        "what": what,
        "due": alert.due_date.isoformat(),
    }
    body = _(
        "%(department)s, %(item)s, case %(number)s: %(what)s was due on %(due)s. "
        "A %(level)s was raised on %(at)s. Please handle the case and, for a card, submit an explanation."
    ) % {
        "department": case.department.name,
        "item": case.item_version.name,
        "number": case.number,
        "what": what,
        "due": alert.due_date.isoformat(),
        "level": Level(alert.level).label,
        "at": timezone.localtime(alert.raised_at).strftime("%Y-%m-%d %H:%M"),
    }
    return subject, body


def _notice_facts(case: Case, alert: Alert) -> str:
    """What happened, for the notice (which names the item and the case itself)."""
    from yiwang.supervision.documents import chinese_date

    what = {
        Target.ACCEPTANCE: "受理时限（5个工作日）",
        Target.STEP: f"“{alert.subject_name}”环节时限",
        Target.CASE: "承诺时限",
    }[Target(alert.target)]
    day = timezone.localtime(alert.fire_at).date()
    return (
        f"{what}应于{chinese_date(alert.due_date)}届满，截至{chinese_date(day)}尚未办结，"
        f"电子监察系统已于{chinese_date(day)}发出{Level(alert.level).label}。"
    )


def region_short_name(region: Region) -> str:
    """The region's name as it leads a document number: 邯郸市 → 邯, 邯山区 → 邯山."""
    name = region.name
    for suffix in ("自治州", "自治县", "地区", "新区", "省", "市", "区", "县", "旗", "盟", "州"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            name = name[: -len(suffix)]
            break
    return name[:1] if region.level <= 3 else name  # a city: one character, as 邯; below: 邯山


def _allocate_serials(region_id: int, kind: str, year: int, count: int) -> int:
    """Reserve ``count`` serial numbers; returns the first."""
    seq, _new = NoticeSequence.objects.select_for_update().get_or_create(
        region_id=region_id, kind=kind, year=year
    )
    first = seq.last + 1
    seq.last += count
    seq.save(update_fields=["last"])
    return first


def _new_notices(
    specs: Sequence[tuple[str, Any, Alert | None, str, str, dt.date | None]],
    *,
    at: dt.datetime,
    user: User | None,
    region: Region | None = None,
) -> list[Notice]:
    """Number and save notices (kind, case or complaint, alert, facts, requirement,
    reply_by), PDFs later. A notice about a complaint's card is addressed to the
    department the card lies with; one about the complaint itself, to the department
    complained about."""
    from yiwang.supervision.documents import default_requirement, notice_number
    from yiwang.supervision.models import Complaint

    groups: dict[tuple[int, str, int], list[int]] = {}
    year = timezone.localtime(at).year
    for i, (kind, subject, *_rest) in enumerate(specs):
        groups.setdefault(((region or subject.region).pk, kind, year), []).append(i)
    notices: list[Notice | None] = [None] * len(specs)
    for (region_id, kind, yr), indexes in groups.items():
        first = _allocate_serials(region_id, kind, yr, len(indexes))
        for offset, i in enumerate(indexes):
            _kind, subject, alert, facts, requirement, reply_by = specs[i]
            is_complaint = isinstance(subject, Complaint)
            serial = first + offset
            notices[i] = Notice(
                number=notice_number(kind, region_short_name(region or subject.region), yr, serial),
                kind=kind,
                serial=serial,
                year=yr,
                region_id=region_id,
                department_id=alert.department_id if alert is not None else subject.department_id,
                case=None if is_complaint else subject,
                complaint=subject if is_complaint else None,
                alert=alert,
                issuing_unit=issuing_unit(region or subject.region),
                facts=facts,
                requirement=requirement or default_requirement(kind, reply_by),
                reply_by=reply_by,
                issued_at=at,
                issued_by=user if user is not None and user.is_authenticated else None,
            )
    made = [n for n in notices if n is not None]
    return Notice.objects.bulk_create(made)


def issuing_unit(region: Region) -> str:
    template = getattr(settings, "SUPERVISION_ISSUING_UNIT", "{region}政务服务中心电子监察室")
    return template.format(region=region.name)


def reply_deadline(at: dt.datetime) -> dt.date:
    from yiwang.core import calendar

    days = int(getattr(settings, "SUPERVISION_REPLY_WORKDAYS", 3))
    return calendar.add_workdays(timezone.localtime(at).date(), days)


def sweep(at: dt.datetime | None = None, *, batch: int = 500, notify: bool = True) -> SweepReport:
    """Raise every alert due at ``at`` (default now), exactly once."""
    started = time.perf_counter()
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise SupervisionError(
            _("The sweep's moment must carry a time zone."), SupervisionErrorCode.BAD_INPUT
        )
    report = SweepReport(at=at)
    seen: set[int] = set()
    while True:
        with transaction.atomic():
            watches = [w for w in _lock_due(at, batch) if w.case_id not in seen]
            if not watches:
                break
            seen.update(w.case_id for w in watches)
            _sweep_batch(watches, at, report, notify=notify)
    from yiwang.supervision.complaints import sweep_complaints

    sweep_complaints(at, report, batch=batch, notify=notify)
    report.seconds = time.perf_counter() - started
    return report


def _save_next(watches: Sequence[Watch]) -> None:
    """Store each watch's new ``next_at``: one UPDATE per distinct moment (a batch shares
    few), far cheaper than one CASE WHEN per row."""
    by_moment: dict[dt.datetime | None, list[int]] = {}
    for watch in watches:
        by_moment.setdefault(watch.next_at, []).append(watch.case_id)
    for moment, ids in by_moment.items():
        Watch.objects.filter(case_id__in=ids).update(next_at=moment)


def _sweep_batch(watches: list[Watch], at: dt.datetime, report: SweepReport, *, notify: bool) -> None:

    case_ids = [w.case_id for w in watches]
    raised: dict[int, set[tuple[str, str]]] = {}
    for case_id, key, level in Alert.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "subject_key", "level"
    ):
        raised.setdefault(case_id, set()).add((key, level))
    new_alerts: list[Alert] = []
    notice_kinds: list[str] = []
    for watch in watches:
        report.watches += 1
        case = watch.case
        if watch.rule_version_id is None or case.state not in OPEN_STATES:
            watch.next_at = None
            continue
        subjects = [rules.Subject.from_json(s) for s in watch.subjects]
        firings = rules.firings_of(subjects, ladder(watch.rule_version_id))
        due, watch.next_at = rules.split_due(firings, at, raised.get(case.pk, set()))
        for f in due:
            new_alerts.append(
                Alert(
                    case=case,
                    department_id=case.department_id,
                    region_id=case.region_id,
                    target=f.subject.target,
                    subject_key=f.subject.key,
                    subject_name=f.subject.name,
                    level=f.level,
                    due_date=f.subject.due,
                    fire_at=f.moment,
                    raised_at=at,
                    rule_version_id=watch.rule_version_id,
                )
            )
            notice_kinds.append(f.notice_kind)
    _save_next(watches)
    _detect_batch([w.case for w in watches], at)
    if not new_alerts:
        return
    try:
        with transaction.atomic():
            created = Alert.objects.bulk_create(new_alerts)
    except IntegrityError:
        # Another process raised some of these between our read and our write (only
        # possible without row locks, i.e. on SQLite): fall back to one at a time.
        created, kinds = [], []
        for alert, kind in zip(new_alerts, notice_kinds, strict=True):
            try:
                with transaction.atomic():
                    alert.save()
                created.append(alert)
                kinds.append(kind)
            except IntegrityError:
                continue
        notice_kinds = kinds
    daily_facts.on_alerts(created)
    report.alerts += len(created)
    for alert in created:
        report.by_level[alert.level] = report.by_level.get(alert.level, 0) + 1
    AlertAction.objects.bulk_create(AlertAction(alert=a, action="raised", at=at) for a in created)
    specs = [
        (kind, alert.case, alert, _notice_facts(alert.case, alert), "", reply_deadline(at))
        for alert, kind in zip(created, notice_kinds, strict=True)
        if kind
    ]
    if specs:
        report.notices += len(_new_notices(specs, at=at, user=None))
    if notify:
        report.messages += _notify(created, {w.case_id: w.handler_id for w in watches})


DIGEST_FROM = 4  # a person with this many new alerts in one sweep gets one summary instead
DIGEST_LINES = 20


def _notify(created: Sequence[Alert], handler_of: Mapping[int, int | None]) -> int:
    """Tell the handler, the head and the supervisors: one message per alert, or one
    summary per person when a sweep brings them many (a head is not sent 500 SMS)."""
    from django.contrib.auth import get_user_model

    from yiwang.core.notify import Message, send

    over: dict[tuple[int, str], list[AbstractBaseUser]] = {}
    handler_ids = {h for a in created if (h := handler_of.get(a.case_id)) is not None}
    handlers = {u.pk: u for u in get_user_model().objects.filter(pk__in=handler_ids, is_active=True)}
    per_user: dict[int, tuple[AbstractBaseUser, list[Alert]]] = {}
    for alert in created:
        case = alert.case
        key = (case.department_id, case.region.path)
        if key not in over:
            over[key] = overseers(department_id=key[0], region_path=key[1])
        people = {u.pk: u for u in over[key]}
        handler_id = handler_of.get(case.pk)
        if handler_id is not None and handler_id in handlers:
            people.setdefault(handler_id, handlers[handler_id])
        for user in people.values():
            per_user.setdefault(user.pk, (user, []))[1].append(alert)
    told: dict[int, int] = {}
    for _user, alerts in per_user.values():
        for alert in alerts:
            told[alert.pk] = told.get(alert.pk, 0) + 1
    AlertAction.objects.bulk_create(
        AlertAction(alert=alert, action="notified", at=alert.raised_at, note=str(told.get(alert.pk, 0)))
        for alert in created
    )
    messages = []
    for user, alerts in per_user.values():
        if len(alerts) < DIGEST_FROM:
            for alert in alerts:
                subject, body = alert_text(alert, alert.case)
                link = reverse("supervision:alert", args=[alert.pk])
                messages.append(
                    Message(
                        recipient=user, subject=subject, body=body, link=link, kind=f"alert.{alert.level}"
                    )
                )
            continue
        counts: dict[str, int] = {}
        for alert in alerts:
            counts[alert.level] = counts.get(alert.level, 0) + 1
        levels = "、".join(
            f"{Level(k).label} {v}"
            for k, v in sorted(counts.items(), key=lambda kv: -rules.LEVEL_ORDER[Level(kv[0])])
        )
        subject = _("%(n)d new alerts on cases you handle or oversee: %(levels)s") % {
            "n": len(alerts),
            "levels": levels,
        }
        lines = [
            f"{alert.case.number}  {Level(alert.level).label}  {alert.case.item_version.name}  "
            + _("due %(due)s") % {"due": alert.due_date.isoformat()}
            for alert in alerts[:DIGEST_LINES]
        ]
        if len(alerts) > DIGEST_LINES:
            lines.append(_("… and %(n)d more.") % {"n": len(alerts) - DIGEST_LINES})
        messages.append(
            Message(
                recipient=user,
                subject=subject,
                body="\n".join(lines),
                link=reverse("supervision:alerts") + "?status=raised",
                kind="alert.digest",
            )
        )
    return send(messages)


# --------------------------------------------------------------------------- what-if replay


@dataclass(frozen=True)
class ReplayHit:
    case_number: str
    department: str
    target: str
    subject: str
    level: str
    due: dt.date
    moment: dt.datetime
    subject_name: str = ""
    notice_kind: str = ""
    fire_at: dt.datetime | None = None


def _check_period(start: dt.datetime, end: dt.datetime) -> None:
    if end < start:
        raise SupervisionError(
            _("The replay's start (%(start)s) is after its end (%(end)s).")
            % {"start": start.isoformat(), "end": end.isoformat()},
            SupervisionErrorCode.BAD_INPUT,
        )


def replay(
    *,
    rule_set: str,
    start: dt.datetime,
    end: dt.datetime,
    cases: Iterable[Case] | None = None,
) -> list[ReplayHit]:
    """What ``rule_set`` would have raised between ``start`` and ``end`` over past cases,
    from their events; writes nothing."""
    _check_period(start, end)
    the_ladder = ladder_of_rule_set(rule_set)
    if cases is None:
        cases = (
            Case.objects.filter(submitted_at__lte=end)
            .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start))
            .exclude(completed_at__lt=start)
            .select_related("department")
            .order_by("pk")
        )
    hits: list[ReplayHit] = []
    for case in cases:
        hits.extend(_replay_case(case, the_ladder, start, end))
    hits.sort(key=lambda h: (h.moment, h.case_number, rules.LEVEL_ORDER[Level(h.level)]))
    return hits


def _replay_case(
    case: Case, the_ladder: rules.Ladder, start: dt.datetime, end: dt.datetime
) -> list[ReplayHit]:
    template = template_for(case.item_version_id)
    events = list(case.events.order_by("seq"))
    view = EMPTY
    step_seq = None
    fired: set[tuple[str, str]] = set()
    hits: list[ReplayHit] = []
    for i, event in enumerate(events):
        try:
            view = apply_event(view, event, template)
        except TransitionError:
            continue
        if event.type in rules.STEP_STARTING_EVENTS:
            step_seq = event.seq
        until = events[i + 1].occurred_at if i + 1 < len(events) else end
        until = min(until, end)
        for f in rules.firings_of(rules.subjects_of(view, template, step_seq), the_ladder):
            if (f.subject.key, f.level) in fired or f.moment > until:
                continue
            fired.add((f.subject.key, f.level))
            if f.moment >= start:
                hits.append(
                    ReplayHit(
                        case.number,
                        case.department.name,
                        f.subject.target,
                        f.subject.key,
                        f.level,
                        f.subject.due,
                        max(f.moment, event.occurred_at),
                        f.subject.name,
                        f.notice_kind,
                        f.moment,
                    )
                )
    return hits


def backfill(*, start: dt.datetime, end: dt.datetime, cases: Iterable[Case] | None = None) -> int:
    """Record the alerts each case's ladder raised between ``start`` and ``end``, at the
    moments they were due, from the ledger: for a region that switches supervision on
    over cases already under way, or cases imported with their history. Nobody is
    notified of the past; notices are numbered as of their moment. Idempotent."""
    _check_period(start, end)
    if cases is None:
        cases = (
            Case.objects.filter(submitted_at__lte=end)
            .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start))
            .select_related("department", "region", "item_version")
            .order_by("pk")
        )
    made = 0
    for case in cases:
        version_id = version_for(
            item_id=case.item_id, department_id=case.department_id, region_path=_region_path(case)
        )
        if version_id is None:
            continue
        hits = _replay_case(case, ladder(version_id), start, end)
        if not hits:
            continue
        with transaction.atomic():
            raised = _raised(case.pk)
            for hit in hits:
                if (hit.subject, hit.level) in raised:
                    continue
                alert = Alert.objects.create(
                    case=case,
                    department_id=case.department_id,
                    region_id=case.region_id,
                    target=hit.target,
                    subject_key=hit.subject,
                    subject_name=hit.subject_name,
                    level=hit.level,
                    due_date=hit.due,
                    fire_at=hit.fire_at or hit.moment,
                    raised_at=hit.moment,
                    rule_version_id=version_id,
                )
                AlertAction.objects.create(alert=alert, action="raised", at=hit.moment, note="backfill")
                daily_facts.on_alerts([alert])
                if hit.notice_kind:
                    facts = _notice_facts(case, alert)
                    _new_notices(
                        [(hit.notice_kind, case, alert, facts, "", reply_deadline(hit.moment))],
                        at=hit.moment,
                        user=None,
                    )
                made += 1
    return made


# --------------------------------------------------------------------------- alert lifecycle


def _supervises(user: User | None, alert: Alert) -> bool:
    return can_act(user, alert, Role.SUPERVISOR)


def _of_department(user: User | None, alert: Alert) -> bool:
    staff = staff_of(user)
    if staff is None or not staff.is_active:
        return False
    if staff.department_id == alert.department_id:
        return True
    # A head of this department (or of one above it) may explain for it; a leader whose
    # scope is only a region is not of the department.
    return any(
        g.department_ids is not None and alert.department_id in g.department_ids
        for g in scope_of(user).grants_for([Role.LEADER])
    )


def _record(alert: Alert, action: str, user: User | None, note: str, at: dt.datetime) -> None:
    AlertAction.objects.create(
        alert=alert,
        action=action,
        actor=user if user is not None and user.is_authenticated else None,
        at=at,
        note=note,
    )


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update(of=("self",)).select_related("case").get(pk=alert.pk)


@transaction.atomic
def alert_explain(*, alert: Alert, user: User | None, text: str) -> Alert:
    """The department's explanation (情况说明) of a card or warning."""
    alert = _locked(alert)
    if not _of_department(user, alert):
        raise SupervisionError(
            _("Only staff of %(department)s may explain this alert.") % {"department": alert.department.name},
            SupervisionErrorCode.FORBIDDEN,
        )
    text = (text or "").strip()
    if not text:
        raise SupervisionError(_("Write the explanation."), SupervisionErrorCode.BAD_INPUT, "text")
    if alert.status not in (AlertStatus.RAISED, AlertStatus.REJECTED):
        raise SupervisionError(
            _("This alert is “%(status)s”: an explanation is not expected now.")
            % {"status": alert.get_status_display()},
            SupervisionErrorCode.ILLEGAL_IN_STATE,
        )
    now = timezone.now()
    alert.status = AlertStatus.EXPLAINED
    alert.explanation = text
    alert.explained_by = user  # type: ignore[assignment]
    alert.explained_at = now
    alert.save(update_fields=["status", "explanation", "explained_by", "explained_at"])
    _record(alert, "explained", user, text, now)
    return alert


@transaction.atomic
def alert_conclude(*, alert: Alert, user: User | None, verdict: str, note: str = "") -> Alert:
    """The supervisor accepts or rejects the explanation, or escalates the alert (which
    issues an urging notice to the department)."""
    alert = _locked(alert)
    if not _supervises(user, alert):
        raise SupervisionError(
            _("Only a supervisor whose scope covers %(department)s may conclude this alert.")
            % {"department": alert.department.name},
            SupervisionErrorCode.FORBIDDEN,
        )
    note = (note or "").strip()
    now = timezone.now()
    if verdict in ("accept", "reject"):
        if alert.status != AlertStatus.EXPLAINED:
            raise SupervisionError(
                _("There is no explanation to accept or reject yet."), SupervisionErrorCode.ILLEGAL_IN_STATE
            )
        if verdict == "reject" and not note:
            raise SupervisionError(
                _("Say why the explanation is rejected."), SupervisionErrorCode.BAD_INPUT, "note"
            )
        alert.status = AlertStatus.ACCEPTED if verdict == "accept" else AlertStatus.REJECTED
    elif verdict == "escalate":
        if alert.status in (AlertStatus.ACCEPTED, AlertStatus.ESCALATED):
            raise SupervisionError(
                _("This alert is “%(status)s”: it cannot be escalated.")
                % {"status": alert.get_status_display()},
                SupervisionErrorCode.ILLEGAL_IN_STATE,
            )
        if not note:
            raise SupervisionError(
                _("Say why the alert is escalated."), SupervisionErrorCode.BAD_INPUT, "note"
            )
        alert.status = AlertStatus.ESCALATED
    else:
        raise SupervisionError(_("Accept, reject or escalate."), SupervisionErrorCode.BAD_INPUT, "verdict")
    alert.resolution = note
    alert.resolved_by = user  # type: ignore[assignment]
    alert.resolved_at = now
    alert.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    _record(alert, verdict, user, note, now)
    if verdict == "escalate" and alert.complaint_id is not None:
        from yiwang.supervision.complaints import complaint_card_facts
        from yiwang.supervision.models import Complaint

        complaint = Complaint.objects.select_related("region", "department").get(pk=alert.complaint_id)
        _new_notices(
            [
                (
                    "urging",
                    complaint,
                    alert,
                    complaint_card_facts(complaint, alert) + note,
                    "",
                    reply_deadline(now),
                )
            ],
            at=now,
            user=user,
        )
    elif verdict == "escalate":
        case = Case.objects.select_related("region", "department", "item_version").get(pk=alert.case_id)
        _new_notices(
            [("urging", case, alert, _notice_facts(case, alert) + note, "", reply_deadline(now))],
            at=now,
            user=user,
        )
    return alert


# --------------------------------------------------------------------------- notices


@transaction.atomic
def notice_issue(
    *,
    user: User | None,
    kind: str,
    case: Case,
    facts: str,
    requirement: str = "",
    reply_by: dt.date | None = None,
) -> Notice:
    """A supervisor issues a notice about a case (urging, recommendation, …)."""
    from yiwang.supervision.documents import NOTICE_TITLES

    if kind not in NOTICE_TITLES or kind == NoticeKind.DECISION:
        raise SupervisionError(_("Choose the kind of notice."), SupervisionErrorCode.BAD_INPUT, "kind")
    if not can_act(user, case, Role.SUPERVISOR):
        raise SupervisionError(
            _("Only a supervisor whose scope covers case %(number)s may issue a notice about it.")
            % {"number": case.number},
            SupervisionErrorCode.FORBIDDEN,
        )
    facts = (facts or "").strip()
    if not facts:
        raise SupervisionError(
            _("State the facts the notice is about."), SupervisionErrorCode.BAD_INPUT, "facts"
        )
    now = timezone.now()
    if reply_by is not None and reply_by < timezone.localdate(now):
        raise SupervisionError(
            _("The reply date cannot be in the past."), SupervisionErrorCode.BAD_INPUT, "reply_by"
        )
    case = Case.objects.select_related("region", "department", "item_version").get(pk=case.pk)
    staff = staff_of(user)
    # Issued by the supervisor's own room: a city supervisor's notice is the city's.
    region = staff.department.region if staff is not None else case.region
    notice = _new_notices(
        [(kind, case, None, facts, (requirement or "").strip(), reply_by or reply_deadline(now))],
        at=now,
        user=user,
        region=region,
    )[0]
    return issue_pdf(notice)


def issue_pdf(notice: Notice) -> Notice:
    """Render the notice's PDF, store it with its SHA-256 and record the issuing in the
    case's ledger. Idempotent: a notice already rendered is left alone."""
    from yiwang.supervision.documents import NoticeContent, render_notice_pdf

    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(of=("self",))  # the case is optional: an outer join
            .select_related("case", "department", "case__item_version", "complaint")
            .get(pk=notice.pk)
        )
        if notice.sha256:
            return notice
        case = notice.case
        if case is None and notice.complaint is not None and notice.complaint.case_id is not None:
            case = Case.objects.select_related("item_version").get(pk=notice.complaint.case_id)
        content = NoticeContent(
            kind=notice.kind,
            number=notice.number,
            issuing_unit=notice.issuing_unit,
            addressee=notice.department.name,
            item=case.item_version.name if case else "",
            case_number=case.number if case else "",
            applicant="",
            facts=notice.facts,
            requirement=notice.requirement,
            reply_by=notice.reply_by,
            issued_on=timezone.localtime(notice.issued_at).date(),
        )
        data = render_notice_pdf(content)
        digest = hashlib.sha256(data).hexdigest()
        notice.pdf.save(f"{notice.kind}-{notice.year}-{notice.serial}.pdf", ContentFile(data), save=False)
        notice.sha256 = digest
        notice.save(update_fields=["pdf", "sha256"])
        if notice.complaint is not None:
            from yiwang.supervision.complaints import record_event

            record_event(
                notice.complaint,
                "notice",
                notice.issued_by,
                notice.issued_at,
                f"{notice.number} {notice.get_kind_display()} SHA-256 {digest}",
            )
        elif case is not None:
            case_record_notice(
                case=case,
                user=notice.issued_by,
                kind=notice.kind,
                number=notice.number,
                sha256=digest,
                at=notice.issued_at,
            )
    return notice


def issue_pending_notices(limit: int = 200) -> int:
    """Render the notices the sweep numbered (the periodic task)."""
    done = 0
    for notice in Notice.objects.filter(sha256="").order_by("pk")[:limit]:
        issue_pdf(notice)
        done += 1
    return done


# --------------------------------------------------------------------------- irregularities


_FEES: dict[int, Decimal | None] = {}


def fee_standard(version_id: int) -> Decimal | None:
    if version_id not in _FEES:
        version = ItemVersion.objects.prefetch_related("fees").get(pk=version_id)
        fees = list(version.fees.all())
        total = sum((f.standard_amount for f in fees if f.standard_amount is not None), Decimal("0"))
        _FEES[version_id] = total if fees else None
    return _FEES[version_id]


def detector_params(stamp: tuple[Any, ...] | None = None) -> dict[str, dict[str, Any]]:
    """The detector settings, re-read only when the rule tables' stamp changes."""
    stamp = stamp or rules_stamp()
    cached = _rules_cache.get("detectors")
    if cached is not None and cached[0] == stamp:
        return cached[1]
    params = _read_detector_params()
    _rules_cache["detectors"] = (stamp, params)
    return params


def _read_detector_params() -> dict[str, dict[str, Any]]:
    params: dict[str, dict[str, Any]] = {}
    for setting in DetectorSetting.objects.all():
        entry = dict(setting.params or {})
        entry["enabled"] = setting.enabled
        if setting.severity:
            entry["severity"] = setting.severity
        params[setting.code] = entry
    return params


def _facts(case: Case, events: Sequence[CaseEvent]) -> Any:
    from yiwang.cases.services import _separation_rules
    from yiwang.supervision import detectors

    template = template_for(case.item_version_id)
    return detectors.CaseFacts(
        events=[e for e in events if e.type not in SUPERVISION_EVENTS],
        template=template,
        fee_standard=fee_standard(case.item_version_id),
        extension_cap=extension_cap(template),  # reads item_type and parallel_approval only
        separation=_separation_rules(),
    )


def _record_findings(pairs: Sequence[tuple[Case, Any]], at: dt.datetime) -> list[Irregularity]:
    """Save the findings not yet on record; the unique constraint keeps each once."""
    rows = [
        Irregularity(
            case=case,
            department_id=case.department_id,
            region_id=case.region_id,
            code=f.code,
            key=f.key,
            severity=f.severity,
            explanation=f.explanation,
            event_seqs=list(f.event_seqs),
            detected_at=at,
        )
        for case, f in pairs
    ]
    if not rows:
        return []
    existing = set(
        Irregularity.objects.filter(case_id__in={r.case_id for r in rows}).values_list(
            "case_id", "code", "key"
        )
    )
    new = [r for r in rows if (r.case_id, r.code, r.key) not in existing]
    if new:
        with transaction.atomic():
            Irregularity.objects.bulk_create(new, ignore_conflicts=True)
            daily_facts.on_findings(new)
    return new


def detect_case(
    *,
    case: Case,
    only_last: bool = False,
    events: Sequence[CaseEvent] | None = None,
    stamp: tuple[Any, ...] | None = None,
) -> list[Irregularity]:
    """Run the detectors on a case and record new findings (those on record are kept)."""
    from yiwang.supervision import detectors

    if events is None:
        events = list(case.events.order_by("seq"))
    findings = detectors.detect(_facts(case, events), detector_params(stamp), only_last=only_last)
    return _record_findings([(case, f) for f in findings], timezone.now())


def _detect_batch(cases_: Sequence[Case], at: dt.datetime) -> None:
    """The full detectors over the cases a sweep touches (one query for their events):
    this catches what no single event showed, e.g. cases whose events arrived by import."""
    from yiwang.supervision import detectors

    if not cases_:
        return
    by_case: dict[int, list[CaseEvent]] = {}
    for event in CaseEvent.objects.filter(case_id__in=[c.pk for c in cases_]).order_by("case_id", "seq"):
        by_case.setdefault(event.case_id, []).append(event)
    params = detector_params()
    pairs = []
    for case in cases_:
        for finding in detectors.detect(_facts(case, by_case.get(case.pk, [])), params):
            pairs.append((case, finding))
    _record_findings(pairs, at)
