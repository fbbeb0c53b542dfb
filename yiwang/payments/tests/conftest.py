"""Cases of a charged item (印章刻制备案, ¥80 per seal) filed online by 张三 and decided,
ready for a fee order; a free item; the sandbox gateway (see ``fixtures``)."""

from yiwang.cases.tests.conftest import (  # noqa: F401
    approver_user,
    handler_user,
    neighbour_approver,
    reviewer_user,
    window_user,
)
from yiwang.payments.tests.fixtures import free_item, order, sandbox, seal_case  # noqa: F401
from yiwang.portal.tests.conftest import company_seal  # noqa: F401
