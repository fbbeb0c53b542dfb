"""Reads of the e-license library: the licenses a holder can use, the signed-in user's own."""

from __future__ import annotations

import datetime as dt

from yiwang.licenses.models import License, LicenseQuerySet


def valid_licenses(*, holder_id_number: str, on: dt.date) -> LicenseQuerySet:
    """The holder's licenses in force on ``on`` (status valid, started, not run out):
    the ones an application may reuse in place of a material."""
    qs: LicenseQuerySet = License.objects.in_force(on).filter(
        holder_id_number=holder_id_number.strip().upper()
    )
    return qs.select_related("issuer")
