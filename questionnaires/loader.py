"""Load and validate questionnaire definitions.

Every problem is reported as :class:`DefinitionError` naming the file and, where there is
one, the question, so a translator who breaks the file learns exactly where.
"""
from __future__ import annotations

import datetime
import functools
import re
from pathlib import Path
from typing import Any

import yaml
from babel import Locale, UnknownLocaleError

from .budgets import BUDGETS, over_budget
from .model import (
    ANSWER_FLAGS,
    CONTROLS,
    ELEMENTS,
    FORMS,
    INDICATOR_VALUES,
    LANGUAGE_STATUSES,
    LANGUAGES,
    LINKAGE_ROLES,
    NEEDS,
    NO_CATEGORY,
    QUESTION_TYPES,
    RESULT_TIERS,
    ROLES,
    SCORED_ELEMENTS,
    SECTIONS,
    Condition,
    Crossing,
    ForcedLabour,
    Language,
    Option,
    Places,
    Province,
    Question,
    Questionnaire,
    Scoring,
    Tags,
    Text,
)

DEFINITIONS = Path(__file__).parent / "definitions"
PLACES_FILE = DEFINITIONS / "places.yaml"
_VERSION_FILE = re.compile(r"^v(\d+)\.yaml$")
# Regions, groupings and private-use codes Babel lists that are not countries.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}
# From this version on every question must carry its tags (older files may).
TAGS_REQUIRED_FROM = 2
# A question's ``group`` (questions asked together): a short name.
GROUP_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
TAG_KEYS = ("role", "linkage", "flag", "need", "control", "form")
# From this version on the file carries a sentence for the person per tier.
RESULT_SENTENCES_REQUIRED_FROM = 2
LANGUAGE_KEYS = ("name", "status", "reviewed_by", "reviewed_on", "note")
# Placeholders a text may hold: {name}, {0}, %(n)s, %s, %d. A translation keeps English's.
_PLACEHOLDER = re.compile(r"\{[^{}\s]*\}|%\([^)]+\)[sdifr]|%[sdifr]")


class DefinitionError(ValueError):
    """A questionnaire or places file is broken; the message says where and why."""

    def __init__(self, source: str, message: str, code: str | None = None):
        where = f"{source}: question {code!r}" if code else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.code = code


@functools.lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, from Babel's CLDR data (no hand-kept list)."""
    territories = Locale.parse("en").territories
    return frozenset(
        code for code in territories if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )


def available_versions(directory: Path | None = None) -> list[int]:
    directory = directory or DEFINITIONS
    found = []
    for path in directory.glob("v*.yaml"):
        match = _VERSION_FILE.match(path.name)
        if match:
            found.append(int(match.group(1)))
    return sorted(found)


def current_version(directory: Path | None = None) -> int:
    directory = directory or DEFINITIONS
    versions = available_versions(directory)
    if not versions:
        raise DefinitionError(str(directory), "no questionnaire definition (v<N>.yaml) found")
    return versions[-1]


def load(version: int | None = None, directory: Path | None = None) -> Questionnaire:
    """The questionnaire of ``version`` (default: the newest), validated and cached.

    ``directory`` defaults to :data:`DEFINITIONS`, read at each call (a test may point it
    at a variant questionnaire; then it clears the cache with ``load.cache_clear()``)."""
    return _load(version, directory or DEFINITIONS)


@functools.lru_cache(maxsize=8)
def _load(version: int | None, directory: Path) -> Questionnaire:
    if version is None:
        version = current_version(directory)
    path = directory / f"v{version}.yaml"
    if not path.exists():
        raise DefinitionError(str(path), f"questionnaire version {version} does not exist")
    return load_file(path, places=load_places(directory / "places.yaml"))


load.cache_clear = _load.cache_clear  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=4)
def load_places(path: Path = PLACES_FILE) -> Places:
    raw = _read_yaml(path)
    source = path.name
    provinces = []
    seen: set[str] = set()
    for entry in _list(raw, "provinces", source):
        code = _str(entry, "code", source)
        if code in seen:
            raise DefinitionError(source, f"duplicate province code {code!r}")
        seen.add(code)
        provinces.append(
            Province(
                code=code,
                iso=_str(entry, "iso", source),
                name=_text(entry, "name", source, code),
                centroid=_point(entry, "centroid", source, code),
            )
        )
    crossings = []
    for entry in raw.get("crossings") or []:
        code = _str(entry, "code", source)
        province = _str(entry, "province", source)
        if province not in seen:
            raise DefinitionError(source, f"crossing {code!r} names unknown province {province!r}")
        crossings.append(
            Crossing(
                code=code,
                name=_text(entry, "name", source, code),
                province=province,
                point=_point(entry, "point", source, code),
                neighbour=_str(entry, "neighbour", source),
            )
        )
    return Places(tuple(provinces), tuple(crossings), str(raw.get("sources") or ""))


def load_file(path: Path | str, places: Places | None = None) -> Questionnaire:
    path = Path(path)
    raw = _read_yaml(path)
    return parse(raw, source=path.name, places=places or load_places())


def parse(raw: Any, source: str, places: Places) -> Questionnaire:
    if not isinstance(raw, dict):
        raise DefinitionError(source, "the file must hold a mapping at the top level")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DefinitionError(source, "'version' must be a positive integer")
    match = _VERSION_FILE.match(source)
    if match and int(match.group(1)) != version:
        raise DefinitionError(source, f"'version' is {version} but the file name says {match.group(1)}")

    languages = _languages(raw.get("languages"), source)
    langs = tuple(languages)
    scoring = _scoring(raw.get("scoring"), source)
    labels_raw = raw.get("answer_labels")
    if not isinstance(labels_raw, dict) or set(labels_raw) != set(INDICATOR_VALUES):
        raise DefinitionError(source, f"'answer_labels' must have exactly the keys {', '.join(INDICATOR_VALUES)}")
    answer_labels = {k: _text(v, "label", source, langs=langs, where=f"answer_labels.{k}.label") for k, v in labels_raw.items()}
    answer_short = {k: _text(v, "short", source) for k, v in labels_raw.items()}

    questions: list[Question] = []
    seen: set[str] = set()
    for index, entry in enumerate(_list(raw, "questions", source)):
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
            raise DefinitionError(source, f"question #{index + 1} has no 'code'")
        code = entry["code"]
        if code in seen:
            raise DefinitionError(source, "duplicate code", code)
        question = _question(entry, source, seen, scoring, places, version >= TAGS_REQUIRED_FROM, langs)
        seen.add(code)
        questions.append(question)

    if not questions or questions[0].code != "consent" or questions[0].type != "consent":
        raise DefinitionError(source, "the first question must be 'consent' of type consent")
    for flag in scoring.red_flags:
        if flag not in seen:
            raise DefinitionError(source, f"red flag {flag!r} is not a question code")
    for required in ("age", "age_maybe_minor"):
        if required not in seen:
            raise DefinitionError(source, f"the question {required!r} is required to decide minority")
    _check_forced_labour(scoring, questions, source)
    roles = [question.tags.role for question in questions if question.tags.role]
    for role in set(roles):
        if roles.count(role) > 1:
            raise DefinitionError(source, f"more than one question has tags.role {role!r}")

    return Questionnaire(
        version=version,
        title=_text(raw, "title", source),
        answer_labels=answer_labels,
        answer_short=answer_short,
        scoring=scoring,
        questions=tuple(questions),
        places=places,
        countries=country_codes(),
        source=source,
        languages=languages,
        result_sentences=_result_sentences(raw.get("result_sentences"), source, langs, version),
        contact_sentence=_contact_sentence(raw, source, langs),
    )


def _contact_sentence(raw: Any, source: str, langs: tuple[str, ...]) -> Text | None:
    """Optional: the sentence naming the service the person can call, with ``{name}`` and
    ``{phone}`` (filled from the app's settings), in every declared language."""
    if raw.get("contact_sentence") is None:
        return None
    text = _text(raw, "contact_sentence", source, langs=langs)
    if sorted(_PLACEHOLDER.findall(text.en)) != ["{name}", "{phone}"]:
        raise DefinitionError(source, "contact_sentence.en: must have the placeholders {name} and {phone}")
    return text


def _languages(raw: Any, source: str) -> dict[str, Language]:
    """The ``languages`` block: every language of the person-facing texts, with its status."""
    if not isinstance(raw, dict) or not raw:
        raise DefinitionError(source, "'languages' is missing: declare each language of the texts with its review status")
    for required in LANGUAGES:
        if required not in raw:
            raise DefinitionError(source, f"languages.{required}: Khmer and English must be declared (every text has them)")
    found: dict[str, Language] = {}
    for code, entry in raw.items():
        where = f"languages.{code}"
        try:
            Locale.parse(str(code), sep="-")
        except (ValueError, TypeError, UnknownLocaleError):
            raise DefinitionError(source, f"{where}: {code!r} is not a BCP-47 language code Babel knows") from None
        if not isinstance(entry, dict):
            raise DefinitionError(source, f"{where}: must be a mapping with 'name' and 'status'")
        for key in entry:
            if key not in LANGUAGE_KEYS:
                raise DefinitionError(source, f"{where}.{key}: unknown key (expected {', '.join(LANGUAGE_KEYS)})")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise DefinitionError(source, f"{where}.name: missing (the language's name in itself)")
        status = entry.get("status")
        if status not in LANGUAGE_STATUSES:
            raise DefinitionError(source, f"{where}.status: {status!r} is not one of {', '.join(LANGUAGE_STATUSES)}")
        by, on = entry.get("reviewed_by"), entry.get("reviewed_on")
        if status == "reviewed":
            if not isinstance(by, str) or not by.strip():
                raise DefinitionError(source, f"{where}.reviewed_by: a reviewed language says who reviewed it")
            on = _date(on, source, f"{where}.reviewed_on")
        elif by is not None or on is not None:
            raise DefinitionError(
                source, f"{where}: status {status} has no reviewer; set status: reviewed when a native speaker has checked every text"
            )
        found[str(code)] = Language(
            code=str(code), name=name.strip(), status=status, reviewed_by=by.strip() if by else None,
            reviewed_on=on, note=str(entry.get("note") or "").strip(),
        )
    return found


def _date(value: Any, source: str, where: str) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return datetime.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise DefinitionError(source, f"{where}: a date (YYYY-MM-DD) is needed") from None


def _result_sentences(raw: Any, source: str, langs: tuple[str, ...], version: int) -> dict[str, Text]:
    if raw is None and version < RESULT_SENTENCES_REQUIRED_FROM:
        return {}
    if not isinstance(raw, dict) or set(raw) != set(RESULT_TIERS):
        raise DefinitionError(source, f"'result_sentences' must have exactly the tiers {', '.join(RESULT_TIERS)}")
    return {tier: _text(raw, tier, source, langs=langs, where=f"result_sentences.{tier}") for tier in RESULT_TIERS}


def _language_name(lang: str) -> str:
    """English name of a language for messages: Khmer, Vietnamese, Chinese (Simplified)."""
    try:
        return Locale.parse(lang, sep="-").get_display_name("en") or lang
    except (ValueError, UnknownLocaleError):
        return lang


def _question(
    entry: dict,
    source: str,
    earlier: set[str],
    scoring: Scoring,
    places: Places,
    tags_required: bool = False,
    langs: tuple[str, ...] = LANGUAGES,
) -> Question:
    code = entry["code"]

    def fail(message: str) -> DefinitionError:
        return DefinitionError(source, message, code)

    qtype = entry.get("type")
    if qtype not in QUESTION_TYPES:
        raise fail(f"unknown type {qtype!r} (expected one of {', '.join(QUESTION_TYPES)})")
    section = entry.get("section")
    if section not in SECTIONS:
        raise fail(f"unknown section {section!r}")

    element = entry.get("element")
    strength = entry.get("strength")
    strength_minor = entry.get("strength_minor")
    if qtype == "indicator":
        if element not in ELEMENTS:
            raise fail(f"unknown element {element!r} (expected one of {', '.join(ELEMENTS)})")
        if element in ("means", "purpose") and strength not in scoring.strengths:
            raise fail(f"element {element} needs a strength from {', '.join(scoring.strengths)}")
    elif element is not None:
        raise fail(f"only indicator questions have an element, not type {qtype}")
    for name, value in (("strength", strength), ("strength_minor", strength_minor)):
        if value is not None and value not in scoring.strengths:
            raise fail(f"unknown {name} {value!r}")

    also = entry.get("also")
    also_element = also_strength = None
    if also is not None:
        if not isinstance(also, dict) or also.get("element") not in SCORED_ELEMENTS:
            raise fail("'also' must name a scored element (act, means, purpose)")
        also_element = also["element"]
        also_strength = also.get("strength")
        if also_element != "act" and also_strength not in scoring.strengths:
            raise fail(f"'also' needs a strength from {', '.join(scoring.strengths)}")

    options: tuple[Option, ...] = ()
    if qtype == "choice":
        options = _options(entry.get("options"), source, code, "options", langs)
        if not options:
            raise fail("a choice question needs 'options'")
    elif qtype in ("country", "province"):
        options = _options(entry.get("extra") or [], source, code, "extra", langs)
    elif "options" in entry:
        raise fail(f"type {qtype} takes no 'options'")

    minimum = maximum = None
    if qtype == "integer":
        minimum, maximum = entry.get("min"), entry.get("max")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (minimum, maximum)) or minimum > maximum:
            raise fail("an integer question needs integer 'min' <= 'max'")

    when = _condition(entry["when"], source, code, earlier) if "when" in entry else None

    help_text = _text(entry, "help", source, code) if "help" in entry else None
    tags = _tags(entry, source, code, qtype, section, element, tags_required)
    if tags.role == "sector" and (tags_required or any(o.form for o in options)):
        for option in options:
            if option.form is None:
                raise fail(f"option {option.value!r}: tags.form: missing tag (a sector option needs a form of exploitation, or none)")
    # The question is read by (or to) the person: every declared language. The SMS and USSD
    # short forms and the screener's help stay Khmer and English.
    texts = {name: _text(entry, name, source, code, langs=langs if name == "text" else None) for name in ("text", "sms", "ussd")}
    for (name, lang) in BUDGETS:
        problem = over_budget(name, lang, texts[name].get(lang))
        if problem:
            raise fail(f"{name}.{lang}: {problem}")
    group = entry.get("group", section if qtype == "indicator" else None)
    if group is not None and (not isinstance(group, str) or not GROUP_NAME.fullmatch(group)):
        raise fail(f"group: {group!r} is not a group name (lower-case letters, digits and _)")
    if group is not None and qtype == "consent":
        raise fail("group: the consent question is always asked alone")
    return Question(
        code=code,
        type=qtype,
        section=section,
        group=group,
        text=texts["text"],
        sms=texts["sms"],
        ussd=texts["ussd"],
        tags=tags,
        help=help_text,
        element=element,
        strength=strength,
        strength_minor=strength_minor,
        also_element=also_element,
        also_strength=also_strength,
        minor_only=bool(entry.get("minor_only", False)),
        when=when,
        options=options,
        minimum=minimum,
        maximum=maximum,
        allow_unknown=bool(entry.get("allow_unknown", False)),
    )


def _tags(entry: dict, source: str, code: str, qtype: str, section: str, element: str | None, required: bool) -> Tags:
    """The question's tags, each checked against its list of known categories."""

    def fail(message: str) -> DefinitionError:
        return DefinitionError(source, message, code)

    raw = entry.get("tags")
    if raw is None:
        if required:
            raise fail("tags: missing (every question says what it means to the rest of the app)")
        return Tags()
    if not isinstance(raw, dict):
        raise fail("tags: must be a mapping")
    for key in raw:
        if key not in TAG_KEYS:
            raise fail(f"tags.{key}: unknown tag (expected {', '.join(TAG_KEYS)})")
    known = {
        "role": ROLES,
        "flag": ANSWER_FLAGS,
        "need": NEEDS,
        "control": CONTROLS + (NO_CATEGORY,),
        "form": FORMS + (NO_CATEGORY,),
    }
    values: dict[str, Any] = {}
    for key, allowed in known.items():
        value = raw.get(key)
        if value is None:
            continue
        if value not in allowed:
            raise fail(f"tags.{key}: unknown category {value!r} (expected one of {', '.join(allowed)})")
        values[key] = value
    if required:
        wanted = []
        if section in ("opening", "profile"):
            wanted.append(("role", "a profile role"))
        if element in ("urgent", "smuggling"):
            wanted.append(("flag", "the flag a yes raises"))
        if element == "means" or entry.get("also", {}).get("element") == "means":
            wanted.append(("control", "a means-of-control category, or none"))
        if element == "purpose":
            wanted.append(("form", "a form-of-exploitation category, or none"))
        for key, what in wanted:
            if key not in values:
                raise fail(f"tags.{key}: missing tag ({what})")
    linkage = raw.get("linkage", False)
    if not isinstance(linkage, bool):
        raise fail("tags.linkage: must be true or false")
    if linkage and values.get("role") not in LINKAGE_ROLES:
        raise fail(f"tags.linkage: only the roles {', '.join(LINKAGE_ROLES)} may enter the linkage key")
    for key in ("flag", "need", "control", "form"):
        if key in values and qtype != "indicator":
            raise fail(f"tags.{key}: only indicator questions raise flags, needs or categories")
    return Tags(linkage=linkage, **values)


def _check_forced_labour(scoring: Scoring, questions: list[Question], source: str) -> None:
    rule = scoring.forced_labour
    if rule is None:
        return
    by_code = {question.code: question for question in questions}
    work = by_code.get(rule.work)
    if work is None or work.type != "choice":
        raise DefinitionError(source, f"scoring.forced_labour.work: {rule.work!r} is not a choice question")
    for value in rule.no_work:
        if value not in work.option_values():
            raise DefinitionError(source, f"scoring.forced_labour.no_work: {value!r} is not an option of {rule.work!r}")
    for name in ("involuntariness", "penalty"):
        for code in getattr(rule, name):
            if code not in by_code or not by_code[code].is_scored:
                raise DefinitionError(source, f"scoring.forced_labour.{name}: {code!r} is not a scored indicator")


def _condition(raw: Any, source: str, code: str, earlier: set[str]) -> Condition:
    def fail(message: str) -> DefinitionError:
        return DefinitionError(source, f"condition: {message}", code)

    if not isinstance(raw, dict) or not raw:
        raise fail("must be a mapping")
    if "all" in raw or "any" in raw:
        kind = "all" if "all" in raw else "any"
        parts = raw[kind]
        if not isinstance(parts, list) or not parts:
            raise fail(f"'{kind}' needs a list of conditions")
        return Condition(kind=kind, parts=tuple(_condition(p, source, code, earlier) for p in parts))
    if "minor" in raw:
        if not isinstance(raw["minor"], bool):
            raise fail("'minor' must be true or false")
        return Condition(kind="minor", minor=raw["minor"])
    target = raw.get("answer")
    if not isinstance(target, str):
        raise fail("needs 'answer', 'minor', 'all' or 'any'")
    if target not in earlier:
        raise fail(f"names unknown or later code {target!r}")
    if "equals" in raw:
        return Condition(kind="answer", code=target, op="in", values=(_scalar(raw["equals"]),))
    if "in" in raw and isinstance(raw["in"], list):
        return Condition(kind="answer", code=target, op="in", values=tuple(_scalar(v) for v in raw["in"]))
    if raw.get("answered") is True:
        return Condition(kind="answer", code=target, op="answered")
    raise fail("an 'answer' condition needs 'equals', 'in' or 'answered: true'")


def _scalar(value: Any) -> str:
    # YAML 1.1 reads a bare yes/no as a boolean; compare answers as the strings they are.
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _scoring(raw: Any, source: str) -> Scoring:
    if not isinstance(raw, dict):
        raise DefinitionError(source, "'scoring' is missing")
    strengths = raw.get("strengths")
    thresholds = raw.get("thresholds") or {}
    if not isinstance(strengths, dict) or not strengths or not all(
        isinstance(v, int) and v > 0 for v in strengths.values()
    ):
        raise DefinitionError(source, "'scoring.strengths' must map strength codes to positive integers")
    met, partial = thresholds.get("met"), thresholds.get("partial")
    if not (isinstance(met, int) and isinstance(partial, int) and 0 < partial <= met):
        raise DefinitionError(source, "'scoring.thresholds' needs integers 0 < partial <= met")
    minor_age = raw.get("minor_age")
    if not isinstance(minor_age, int):
        raise DefinitionError(source, "'scoring.minor_age' must be an integer")
    red_flags = raw.get("red_flags") or []
    if not isinstance(red_flags, list):
        raise DefinitionError(source, "'scoring.red_flags' must be a list of codes")
    missing_age = raw.get("missing_age", "adult")
    if missing_age not in ("adult", "unknown"):
        raise DefinitionError(source, "'scoring.missing_age' must be adult or unknown")
    forced_labour = None
    if raw.get("forced_labour") is not None:
        rule = raw["forced_labour"]
        lists = {k: rule.get(k) if isinstance(rule, dict) else None for k in ("no_work", "involuntariness", "penalty")}
        if not isinstance(rule, dict) or not isinstance(rule.get("work"), str) or not all(
            isinstance(v, list) and v for v in lists.values()
        ):
            raise DefinitionError(
                source, "'scoring.forced_labour' needs 'work' and non-empty lists 'no_work', 'involuntariness', 'penalty'"
            )
        forced_labour = ForcedLabour(
            work=rule["work"],
            no_work=frozenset(_scalar(v) for v in lists["no_work"]),
            involuntariness=tuple(lists["involuntariness"]),
            penalty=tuple(lists["penalty"]),
        )
    return Scoring(dict(strengths), met, partial, minor_age, frozenset(red_flags), missing_age, forced_labour)


def _options(raw: Any, source: str, code: str, key: str, langs: tuple[str, ...] = LANGUAGES) -> tuple[Option, ...]:
    if not isinstance(raw, list):
        raise DefinitionError(source, f"'{key}' must be a list", code)
    _check_option_sets(raw, source, code, key, langs)
    options = []
    for item in raw:
        if not isinstance(item, dict) or "value" not in item:
            raise DefinitionError(source, f"every entry of '{key}' needs a 'value'", code)
        value = _scalar(item["value"])
        form = None
        tags = item.get("tags")
        if tags is not None:
            if not isinstance(tags, dict) or set(tags) - {"form"}:
                raise DefinitionError(source, f"option {value!r}: tags: only 'form' is known", code)
            form = tags.get("form")
            if form not in FORMS + (NO_CATEGORY,):
                expected = ", ".join((*FORMS, NO_CATEGORY))
                raise DefinitionError(
                    source, f"option {value!r}: tags.form: unknown category {form!r} (expected one of {expected})", code
                )
        label = _text(item, "label", source, code, langs=langs, where=f"{key}[{value}].label")
        options.append(Option(value=value, label=label, form=form))
    values = [o.value for o in options]
    if len(set(values)) != len(values):
        raise DefinitionError(source, f"duplicate value in '{key}'", code)
    for lang in langs:
        labels = [o.label.get(lang).casefold() for o in options]
        for value, label in zip(values, labels, strict=True):
            if labels.count(label) > 1:
                raise DefinitionError(
                    source, f"{key}[{value}].label.{lang}: two options read the same in {_language_name(lang)} ({lang})", code
                )
    return tuple(options)


def _check_option_sets(raw: list, source: str, code: str, key: str, langs: tuple[str, ...]) -> None:
    """Every language offers the same options: a language labelling some options but not
    others would show the person a shorter list than the screener's."""
    labels = [item.get("label") if isinstance(item, dict) else None for item in raw]
    labels = [label if isinstance(label, dict) else {} for label in labels]
    values = [_scalar(item.get("value")) if isinstance(item, dict) else "?" for item in raw]
    for lang in langs:
        having = [value for value, label in zip(values, labels, strict=True) if isinstance(label.get(lang), str) and label[lang].strip()]
        if having and len(having) != len(values):
            missing = ", ".join(repr(v) for v in values if v not in having)
            raise DefinitionError(
                source,
                f"{key}: the options differ between languages: {_language_name(lang)} ({lang}) labels "
                f"{len(having)} of {len(values)} options (missing {missing})",
                code,
            )


def _text(
    entry: Any,
    key: str,
    source: str,
    code: str | None = None,
    langs: tuple[str, ...] | None = None,
    where: str | None = None,
) -> Text:
    """A text in Khmer and English and, when ``langs`` is given (a person-facing text), in
    every declared language, with English's placeholders. ``langs=None``: a Khmer/English
    text (SMS, USSD, help, titles), which takes no other language."""
    where = where or key
    raw = entry.get(key) if isinstance(entry, dict) else None
    if not isinstance(raw, dict):
        raise DefinitionError(source, f"missing '{key}' texts", code)
    wanted = langs if langs is not None else LANGUAGES
    for lang in raw:
        if lang in wanted:
            continue
        if langs is None and lang not in LANGUAGES:
            raise DefinitionError(
                source, f"{where}.{lang}: '{key}' is a Khmer and English text (SMS, USSD, help and titles take no other language)", code
            )
        raise DefinitionError(source, f"{where}.{lang}: language {lang!r} is not declared in 'languages'", code)
    for lang in wanted:
        value = raw.get(lang)
        if not isinstance(value, str) or not value.strip():
            raise DefinitionError(source, f"missing {_language_name(lang)} text in '{key}' ({where}.{lang})", code)
    expected = sorted(_PLACEHOLDER.findall(raw["en"]))
    for lang in wanted:
        found = sorted(_PLACEHOLDER.findall(raw[lang]))
        if found != expected:
            raise DefinitionError(
                source,
                f"{where}.{lang}: placeholders {', '.join(found) or 'none'} differ from English's {', '.join(expected) or 'none'}",
                code,
            )
    others = {lang: raw[lang].strip() for lang in wanted if lang not in LANGUAGES}
    return Text(km=raw["km"].strip(), en=raw["en"].strip(), others=others)


def _str(entry: Any, key: str, source: str) -> str:
    value = entry.get(key) if isinstance(entry, dict) else None
    if not isinstance(value, str) or not value:
        raise DefinitionError(source, f"an entry lacks '{key}'")
    return value


def _list(raw: Any, key: str, source: str) -> list:
    value = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(value, list) or not value:
        raise DefinitionError(source, f"'{key}' must be a non-empty list")
    return value


def _point(entry: dict, key: str, source: str, code: str) -> tuple[float, float]:
    value = entry.get(key)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, (int, float)) for v in value)
        or not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180)
    ):
        raise DefinitionError(source, f"'{key}' of {code!r} must be [latitude, longitude]")
    return (float(value[0]), float(value[1]))


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(str(path), f"cannot read: {exc.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise DefinitionError(path.name, f"not valid YAML{where}") from None
