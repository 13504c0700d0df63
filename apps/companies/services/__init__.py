from .companies import company_create, company_points_charge, company_points_use, member_add
from .settlement import (
    AlreadySettled,
    company_settle,
    settlement_chunk_failed,
    settlement_chunk_process,
    settlement_run_start,
    settlement_runs_resume,
)

__all__ = [
    "AlreadySettled",
    "company_create",
    "company_points_charge",
    "company_points_use",
    "company_settle",
    "member_add",
    "settlement_chunk_failed",
    "settlement_chunk_process",
    "settlement_run_start",
    "settlement_runs_resume",
]
