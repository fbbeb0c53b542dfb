"""The demo seeder of fee orders does nothing without the demo accounts. (With them, on
top of ``seed_demo``, it creates three orders, two paid through the sandbox; it is run on
the seeded demo database, which these tests do not build.)"""

from __future__ import annotations

import pytest

from yiwang.demo.payments import seed_payments
from yiwang.payments.models import FeeOrder, PaymentAttempt

pytestmark = pytest.mark.django_db


def test_without_the_demo_accounts_nothing_is_seeded() -> None:
    assert seed_payments() == 0
    assert not FeeOrder.objects.exists() and not PaymentAttempt.objects.exists()
