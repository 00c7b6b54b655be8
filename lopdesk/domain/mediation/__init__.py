"""The mediation cell: refusal notices (NGI-02..04), cases (MED-01..02), proposals (MED-03)
and the child's file with its read audit (domain §10).

Every public write is one transaction that checks the role and writes its audit record;
the case timeline (case_event) only grows. The package is cut by job: `rules` (pure, no
database), one module per use case (`notices`, `cases`, `updates`, `proposals`,
`closing`), the read side (`queries`) and what they return (`views`). This module
re-exports the public names, so `from lopdesk.domain import mediation` keeps working.
"""

from lopdesk.domain.codes import (
    CAPACITY_REASONS,
    CASE_OUTCOMES,
    CASE_STATUSES,
    CASE_TRIGGERS,
    EVENT_KINDS,
    NOTICE_MODES,
    NOTICE_SENDERS,
    PARTY_ROLES,
    PROPOSAL_ANSWERS,
)
from lopdesk.domain.mediation.cases import auto_reasons, open_case, set_auto_reason
from lopdesk.domain.mediation.closing import close_case
from lopdesk.domain.mediation.notices import (
    NoticeFacts,
    notice_facts,
    notify_refusals,
    record_notice,
)
from lopdesk.domain.mediation.proposals import (
    answer_proposal,
    closing_schools,
    proposal_choice,
    proposals_for,
    propose,
)
from lopdesk.domain.mediation.queries import (
    case_timeline,
    child_file,
    get_case,
    get_notice,
    list_cases,
    list_notices,
    missing_notices,
    plenary_summary,
)
from lopdesk.domain.mediation.rules import (
    CLR_DAYS,
    NOTICE_DAYS,
    case_likely_outcome,
    clr_deadline,
    distance,
    likely_outcome,
    local_day,
    notice_is_late,
)
from lopdesk.domain.mediation.updates import (
    add_event,
    add_party,
    add_refusal,
    record_clr_complaint,
)
from lopdesk.domain.mediation.views import (
    AnswerView,
    Candidate,
    CaseRow,
    CaseView,
    ChildFile,
    Deadline,
    FileEntry,
    HeldPlace,
    MissingNotice,
    NoticeView,
    PartyRow,
    PlenaryCase,
    PlenarySummary,
    ProposalChoice,
    ProposalRow,
    RefusalRow,
    TimelineRow,
)
from lopdesk.domain.refusals import notify_refusal_in, notify_refusals_in, refusal_moment
from lopdesk.labels import CASE_EVENT_KIND as EVENT_KIND
from lopdesk.labels import (
    CASE_OUTCOME,
    CASE_STATUS,
    CASE_TRIGGER,
    NOTICE_MODE,
    NOTICE_SENDER,
    PARTY_ROLE,
    REFUSAL_REASON,
)
from lopdesk.labels import PROPOSAL_ANSWER as ANSWER

__all__ = [
    "ANSWER", "CAPACITY_REASONS", "CASE_OUTCOME", "CASE_OUTCOMES", "CASE_STATUS",
    "CASE_STATUSES", "CASE_TRIGGER", "CASE_TRIGGERS", "CLR_DAYS", "EVENT_KIND", "EVENT_KINDS",
    "NOTICE_DAYS", "NOTICE_MODE", "NOTICE_MODES", "NOTICE_SENDER", "NOTICE_SENDERS",
    "PARTY_ROLE", "PARTY_ROLES", "PROPOSAL_ANSWERS", "REFUSAL_REASON",
    "AnswerView", "Candidate", "CaseRow", "CaseView", "ChildFile", "Deadline", "FileEntry",
    "HeldPlace", "MissingNotice", "NoticeFacts", "NoticeView", "PartyRow", "PlenaryCase",
    "PlenarySummary", "ProposalChoice", "ProposalRow", "RefusalRow", "TimelineRow",
    "add_event", "add_party", "add_refusal", "answer_proposal", "auto_reasons",
    "case_timeline", "child_file", "close_case", "closing_schools", "clr_deadline", "distance",
    "get_case",
    "get_notice", "case_likely_outcome", "likely_outcome", "list_cases", "list_notices",
    "local_day", "missing_notices",
    "notice_facts", "notice_is_late", "notify_refusal_in", "notify_refusals", "notify_refusals_in",
    "open_case", "plenary_summary", "proposal_choice", "proposals_for", "propose",
    "record_clr_complaint", "record_notice", "refusal_moment",
    "set_auto_reason",
]
