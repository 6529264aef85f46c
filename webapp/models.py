"""Every model, imported once so the metadata (and Alembic) sees every table."""
from sms.models import InboundMessage, SimulatorTranscript, SmsSession  # noqa: F401

from .audit.models import AuditEvent  # noqa: F401
from .auth.models import LoginThrottle, User  # noqa: F401
from .outbox.models import OutboxMessage  # noqa: F401
from .recordings.models import Recording  # noqa: F401
from .referrals.models import Referral, ReferralEvent, Service  # noqa: F401
from .review.models import InfoRequest, Review  # noqa: F401
from .screening.models import Answer, CaseCounter, DeclinedScreening, Screening  # noqa: F401
