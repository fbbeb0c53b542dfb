"""The default 100-point scoring scheme (seeds 001, 003, 004: 绩效评估), published as
version 1 and attached everywhere. The scheme is written out here, as it stood when it
was shipped, rather than imported: a later change to the default is a new version made
by a later migration, never a rewrite of this one (``yiwang.supervision.scoring`` keeps
the same definition for ``install_default_scheme``; a test holds the two equal)."""

from typing import Any

from django.db import migrations
from django.utils import timezone

CODE = "default"
NAME = "绩效评估默认办法（百分制）"
DESCRIPTION = (
    "按时办结率30分（按时办结数÷办结数）；提前办结率10分（提前办结数÷办结数）；"
    "群众满意度20分（满意和基本满意评价数÷评价数）；网上办理率10分（网上申请数÷申请数）；"
    "一次性告知10分（1−重复补正次数÷补齐补正次数）；效能纪律20分，每张黄牌扣2分、每张红牌扣5分、"
    "每件查实的效能投诉扣5分、每起违规扣1分，扣完为止。无数据的比率项得满分。"
)
TOTAL = 100
INDICATORS = [
    {
        "code": "on_time",
        "label": "按时办结率",
        "kind": "rate",
        "weight": 30,
        "numerator": "on_time",
        "denominator": "completed",
    },
    {
        "code": "early",
        "label": "提前办结率",
        "kind": "rate",
        "weight": 10,
        "numerator": "early",
        "denominator": "completed",
    },
    {
        "code": "satisfaction",
        "label": "群众满意度",
        "kind": "rate",
        "weight": 20,
        "numerator": "ratings_satisfied",
        "denominator": "ratings",
    },
    {
        "code": "online",
        "label": "网上办理率",
        "kind": "rate",
        "weight": 10,
        "numerator": "online",
        "denominator": "received",
    },
    {
        "code": "one_time_notice",
        "label": "一次性告知",
        "kind": "complement",
        "weight": 10,
        "numerator": "repeat_supplements",
        "denominator": "supplements",
    },
    {
        "code": "discipline",
        "label": "效能纪律",
        "kind": "deduction",
        "weight": 20,
        "points": {"yellow_cards": 2, "red_cards": 5, "complaints_substantiated": 5, "irregularities": 1},
    },
]


def install(apps: Any, schema_editor: Any) -> None:
    ScoringScheme = apps.get_model("supervision", "ScoringScheme")
    ScoringSchemeVersion = apps.get_model("supervision", "ScoringSchemeVersion")
    SchemeAssignment = apps.get_model("supervision", "SchemeAssignment")
    scheme, created = ScoringScheme.objects.get_or_create(
        code=CODE, defaults={"name": NAME, "description": DESCRIPTION}
    )
    if created or not ScoringSchemeVersion.objects.filter(scheme=scheme).exists():
        ScoringSchemeVersion.objects.create(
            scheme=scheme,
            number=1,
            total=TOTAL,
            indicators=INDICATORS,
            note="预置",
            published_at=timezone.now(),
        )
    if not SchemeAssignment.objects.filter(region=None).exists():
        SchemeAssignment.objects.create(scheme=scheme)


def uninstall(apps: Any, schema_editor: Any) -> None:
    """Back out only what nobody built on: the shipped scheme while it has one version."""
    ScoringScheme = apps.get_model("supervision", "ScoringScheme")
    ScoringSchemeVersion = apps.get_model("supervision", "ScoringSchemeVersion")
    SchemeAssignment = apps.get_model("supervision", "SchemeAssignment")
    scheme = ScoringScheme.objects.filter(code=CODE).first()
    if scheme is None or ScoringSchemeVersion.objects.filter(scheme=scheme).count() > 1:
        return
    SchemeAssignment.objects.filter(scheme=scheme).delete()
    ScoringSchemeVersion.objects.filter(scheme=scheme).delete()  # historical models: no guard
    scheme.delete()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0011_performance")]

    operations = [migrations.RunPython(install, uninstall)]
