"""The two shipped time-limit ladders (seed 004's supervision room, seed 003's three
stages), published as version 1; the room's ladder attached everywhere."""

from typing import Any

from django.db import migrations
from django.utils import timezone


def install(apps: Any, schema_editor: Any) -> None:
    from yiwang.supervision.presets import COMPLAINT_TARGET_VALUES, DEFAULT_GLOBAL, PRESETS

    RuleSet = apps.get_model("supervision", "RuleSet")
    RuleSetVersion = apps.get_model("supervision", "RuleSetVersion")
    Stage = apps.get_model("supervision", "Stage")
    RuleAssignment = apps.get_model("supervision", "RuleAssignment")
    for code, spec in PRESETS.items():
        rule_set, created = RuleSet.objects.get_or_create(
            code=code, defaults={"name": spec.name, "description": spec.description}
        )
        if not created:
            continue
        version = RuleSetVersion.objects.create(rule_set=rule_set, number=1, note="预置")
        for s in spec.stages:
            if s.target in COMPLAINT_TARGET_VALUES:
                continue  # 0008 adds them, once 0007 has widened the column
            Stage.objects.create(
                version=version,
                target=s.target,
                level=s.level,
                anchor=s.anchor,
                workdays=s.workdays,
                percent=s.percent,
                notice_kind=s.notice_kind,
            )
        RuleSetVersion.objects.filter(pk=version.pk).update(published_at=timezone.now())
    if not RuleAssignment.objects.filter(region=None, department=None, item=None).exists():
        RuleAssignment.objects.create(rule_set=RuleSet.objects.get(code=DEFAULT_GLOBAL))


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
