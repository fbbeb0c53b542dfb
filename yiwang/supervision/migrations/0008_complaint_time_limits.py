"""The shipped ladders watch the time limits of efficiency complaints too: where the
current version of ``room`` or ``three-stage`` has no complaint stages, a new version is
published with its stages and the preset's complaint stages (a published version that
has been used never changes). On a fresh database, where no case has been watched by
the version 0002 installed, its stages are completed in place: the preset as shipped."""

from typing import Any

from django.db import migrations
from django.db.models import Max
from django.utils import timezone


def add_complaint_stages(apps: Any, schema_editor: Any) -> None:
    from yiwang.supervision.presets import COMPLAINT_TARGET_VALUES, PRESETS

    Alert = apps.get_model("supervision", "Alert")
    Watch = apps.get_model("supervision", "Watch")
    RuleSet = apps.get_model("supervision", "RuleSet")
    RuleSetVersion = apps.get_model("supervision", "RuleSetVersion")
    Stage = apps.get_model("supervision", "Stage")
    for code, spec in PRESETS.items():
        rule_set = RuleSet.objects.filter(code=code).first()
        if rule_set is None:
            continue
        current = (
            RuleSetVersion.objects.filter(rule_set=rule_set, published_at__isnull=False)
            .order_by("-number")
            .first()
        )
        if (
            current is None
            or Stage.objects.filter(version=current, target__in=COMPLAINT_TARGET_VALUES).exists()
        ):
            continue
        used = (
            Alert.objects.filter(rule_version=current).exists()
            or Watch.objects.filter(rule_version=current).exists()
        )
        if used:
            last = RuleSetVersion.objects.filter(rule_set=rule_set).aggregate(m=Max("number"))["m"] or 0
            version = RuleSetVersion.objects.create(
                rule_set=rule_set, number=last + 1, note="增加效能投诉办理时限"
            )
            kept = [
                (s.target, s.level, s.anchor, s.workdays, s.percent, s.notice_kind)
                for s in Stage.objects.filter(version=current)
            ]
        else:
            version, kept = current, []
        added = [
            (s.target, s.level, s.anchor, s.workdays, s.percent, s.notice_kind)
            for s in spec.stages
            if s.target in COMPLAINT_TARGET_VALUES
        ]
        for target, level, anchor, workdays, percent, notice_kind in kept + added:
            Stage.objects.create(
                version=version,
                target=target,
                level=level,
                anchor=anchor,
                workdays=workdays,
                percent=percent,
                notice_kind=notice_kind,
            )
        if used:
            RuleSetVersion.objects.filter(pk=version.pk).update(published_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("supervision", "0007_efficiency_complaints")]

    operations = [migrations.RunPython(add_complaint_stages, migrations.RunPython.noop)]
