"""The one redaction rule: what the front desk sees of text a clinician wrote.

Text a clinician writes (a session's skip reason, a plan's cancel reason copied to its appointments, an override,
visit notes) is clinical. Practitioners and clinic admins read it as written; the front desk reads a neutral
sentence in its place, wherever the text would appear (detail, lists, the week view, errors, emails to staff).
Every answer that could carry such text to the desk asks `shown_text`; nothing else decides.
"""

from clinic.roles import CLINIC_ADMIN, PRACTITIONER, has_role

CANCELLED_BY_CLINIC = "Cancelled by the clinic"


def written_by_clinician(author) -> bool:
    """Whether text `author` writes is clinical: they hold a clinical role (practitioner, clinic admin)."""
    return has_role(author, PRACTITIONER, CLINIC_ADMIN)


def shown_text(text: str, *, clinical_text: bool, clinical_reader: bool, neutral: str = CANCELLED_BY_CLINIC) -> str:
    """The text a reader sees. Guarantees: a clinical reader sees it as written; anyone else sees `neutral` in
    place of clinical text (and nothing where there was nothing); text that is not clinical is shown as written."""
    if not text or clinical_reader or not clinical_text:
        return text
    return neutral
