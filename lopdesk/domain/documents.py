"""The public names of the documents (lopdesk.domain.extracts), for the CLI and the screens.

Importing this module does not import Jinja2: that happens only when a document is made.
"""

from __future__ import annotations

from lopdesk.domain.codes import CAPACITY_REASONS, CLR_DAYS
from lopdesk.domain.extracts.case import (
    CASE_LISTS,
    case_context,
    case_from_view,
    load_case,
    render_case,
)
from lopdesk.domain.extracts.environment import (
    FORMATS,
    PACKAGE_TEMPLATES,
    check_templates_dir,
    csv_cell,
    environment,
    render_context,
    template_name,
)
from lopdesk.domain.extracts.notice import (
    LEGAL_GROUND,
    NOTICE_FIELDS,
    IncompleteNotice,
    check_notice,
    missing_notice_fields,
    notice_context,
    refusal_facts,
    render_notice,
    render_notice_context,
)
from lopdesk.domain.extracts.pv import (
    count_rows,
    cutoff_label,
    group_label,
    option_rows,
    priority_order_label,
    pv_context,
    render_pv,
    verify_run,
)
from lopdesk.domain.extracts.register import (
    PLENARY_GROUPS,
    PLENARY_NOTE,
    PLENARY_STATUSES,
    register_context,
    render_register,
)
from lopdesk.domain.extracts.report import dissimilarity, render_report, report_context
from lopdesk.domain.extracts.tables import (
    Table,
    board_tables,
    csv_bytes,
    excel_csv,
    register_tables,
    report_tables,
    results_tables,
    xlsx_bytes,
)

__all__ = [
    "CAPACITY_REASONS", "CASE_LISTS", "CLR_DAYS", "FORMATS", "LEGAL_GROUND", "NOTICE_FIELDS",
    "PACKAGE_TEMPLATES", "PLENARY_GROUPS", "PLENARY_NOTE", "PLENARY_STATUSES",
    "IncompleteNotice", "case_context", "case_from_view", "check_notice",
    "check_templates_dir", "count_rows", "csv_cell", "cutoff_label", "dissimilarity",
    "environment", "group_label", "load_case", "missing_notice_fields", "notice_context",
    "option_rows", "priority_order_label", "pv_context", "refusal_facts", "register_context",
    "render_case", "render_context", "render_notice", "render_notice_context", "render_pv",
    "render_register", "render_report", "report_context", "template_name", "verify_run",
    "Table", "board_tables", "csv_bytes", "excel_csv", "register_tables", "report_tables",
    "results_tables", "xlsx_bytes",
]
