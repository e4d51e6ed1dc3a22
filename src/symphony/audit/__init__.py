"""Symphony audit package: append-only, hash-chained records and their verification."""

from symphony.audit.log import AUDIT_DB_NAME, AUDIT_LAYOUT, AUDIT_SCHEMA, AuditLog
from symphony.audit.records import AuditRecord
from symphony.audit.sink import AuditSink
from symphony.audit.verify import VerifyResult, verify_chain, verify_log

__all__ = [
    "AUDIT_DB_NAME",
    "AUDIT_LAYOUT",
    "AUDIT_SCHEMA",
    "AuditLog",
    "AuditRecord",
    "AuditSink",
    "VerifyResult",
    "verify_chain",
    "verify_log",
]
