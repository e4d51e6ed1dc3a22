"""Symphony audit package: append-only, hash-chained records and their verification."""

from symphony.audit.log import AUDIT_DB_NAME, AUDIT_SCHEMA, AuditLog
from symphony.audit.records import AuditRecord
from symphony.audit.verify import VerifyResult, verify_chain

__all__ = [
    "AUDIT_DB_NAME",
    "AUDIT_SCHEMA",
    "AuditLog",
    "AuditRecord",
    "VerifyResult",
    "verify_chain",
]
