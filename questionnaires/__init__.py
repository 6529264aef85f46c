"""The victim identification checklist as data, and the one engine that judges it.

Pure Python: no Flask, SQLAlchemy, Twilio or other project imports (a test enforces it).
"""
from . import meaning, screens
from .engine import (
    TIERS,
    AnswerError,
    Result,
    asked_questions,
    can_change,
    effective_answers,
    for_the_record,
    is_asked,
    is_minor,
    next_question,
    previous_question,
    score,
    validate_answer,
    validate_answers,
)
from .grouping import next_group, record_groups
from .loader import DefinitionError, available_versions, current_version, load, load_file, load_places
from .model import INDICATOR_VALUES, ByIdentity, Question, Questionnaire

__all__ = [
    "INDICATOR_VALUES",
    "TIERS",
    "AnswerError",
    "ByIdentity",
    "DefinitionError",
    "Question",
    "Questionnaire",
    "Result",
    "asked_questions",
    "available_versions",
    "can_change",
    "current_version",
    "effective_answers",
    "for_the_record",
    "is_asked",
    "is_minor",
    "load",
    "load_file",
    "load_places",
    "meaning",
    "next_group",
    "next_question",
    "previous_question",
    "record_groups",
    "score",
    "screens",
    "validate_answer",
    "validate_answers",
]
