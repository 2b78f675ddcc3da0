"""Static audit of Freqtrade strategy source: judge whether code may run without importing or running it."""

from gentrade.safety.audit import AuditReport, Violation, audit, require_clean

__all__ = ["AuditReport", "Violation", "audit", "require_clean"]
