"""The portal's data: citizen and enterprise accounts, application drafts, consultations
and ratings. One module per area; everything is importable from ``yiwang.portal.models``."""

from yiwang.portal.models.accounts import (
    Account,
    AccountEvent,
    AccountEventType,
    Agent,
    SmsDevice,
    VerificationMethod,
)
from yiwang.portal.models.applications import Draft, DraftFile
from yiwang.portal.models.consultations import Consultation, ConsultationStatus
from yiwang.portal.models.ratings import (
    FollowUpStatus,
    Rating,
    RatingFollowUp,
    RatingLevel,
    RevisitResult,
)

__all__ = [
    "Account",
    "AccountEvent",
    "AccountEventType",
    "Agent",
    "Consultation",
    "ConsultationStatus",
    "Draft",
    "DraftFile",
    "FollowUpStatus",
    "Rating",
    "RatingFollowUp",
    "RatingLevel",
    "RevisitResult",
    "SmsDevice",
    "VerificationMethod",
]
