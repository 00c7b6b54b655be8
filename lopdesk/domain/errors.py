"""The domain's errors; they live in lopdesk.errors so the matching engine shares them."""

from lopdesk.errors import (
    Busy,
    Conflict,
    DomainError,
    ImportError_,
    InvalidInput,
    NeedsConfirmation,
    NotFound,
    PermissionDenied,
    RuleViolation,
)

__all__ = [
    "Busy", "Conflict", "DomainError", "ImportError_", "InvalidInput", "NeedsConfirmation",
    "NotFound", "PermissionDenied", "RuleViolation",
]
