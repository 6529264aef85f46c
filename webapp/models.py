"""Every model, imported once so the metadata (and Alembic) sees every table."""
from .auth.models import User  # noqa: F401
from .screening.models import Answer, CaseCounter, DeclinedScreening, Screening  # noqa: F401
from sms.models import InboundMessage, OutboxMessage, SmsSession  # noqa: F401
