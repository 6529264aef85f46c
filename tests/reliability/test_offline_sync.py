"""Drill f: the web form's offline queue. A phone back online sends its 200 queued
screenings at once, several at a time, over one logged-in session; some it sends twice
(a reply lost on the way), some twice at the same moment (two tabs). Each lands exactly
once: one 201 per screening, a 200 with the same case for every repeat, no 5xx, and the
case numbers run without a gap (a losing duplicate gives its number back)."""
from __future__ import annotations

import queue
import re
import threading
import uuid as uuidlib
from collections import Counter, defaultdict

import pytest
import requests
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

import questionnaires
from tests.conftest import serving
from tests.reliability.harness import vignettes
from tests.test_screening_api import payload
from tests.web import PASSWORD, csrf, make_user
from webapp.extensions import db as database
from webapp.screening.models import Answer, Screening

pytestmark = pytest.mark.reliability

QUEUED = 200
RESENT = 30  # sent again once the first round is answered
TWINS = 30  # sent twice at the very same moment
SENDERS = 8  # the connections the phone syncs over at once


@pytest.fixture
def live_server(app):
    with serving(app) as url:
        yield url


def logged_in(base: str) -> tuple[requests.Session, str]:
    """One browser session: log in as the screener, read the app's CSRF token."""
    browser = requests.Session()
    page = browser.get(base + "/login", timeout=30).text
    response = browser.post(base + "/login", data={"identifier": "screener", "password": PASSWORD,
                                                   "csrf_token": csrf(page)}, timeout=30)
    assert response.status_code == 200 and "/login" not in response.url
    shell = browser.get(base + "/screenings/app", timeout=30).text
    return browser, re.search(r'<meta name="csrf-token" content="([^"]+)"', shell).group(1)


def stored_answers(body: dict) -> int:
    """How many answers the server keeps for this screening: those still asked."""
    q = questionnaires.load()
    values = {code: entry["value"] for code, entry in body["answers"].items()}
    return len(questionnaires.effective_answers(q, questionnaires.validate_answers(q, values)))


def test_two_hundred_queued_screenings_land_exactly_once(app, db, live_server):
    make_user(app, "border", username="screener")
    browser, token = logged_in(live_server)
    cases = [v["id"] for v in vignettes()]
    bodies = [payload(cases[n % len(cases)], uuid=str(uuidlib.uuid4())) for n in range(QUEUED)]
    replies: dict[str, list[tuple[int, dict | None]]] = defaultdict(list)
    lock = threading.Lock()

    def send(body: dict, session: requests.Session) -> None:
        response = session.post(live_server + "/api/screenings", json=body, headers={"X-CSRFToken": token}, timeout=60)
        with lock:
            replies[body["uuid"]].append((response.status_code, response.json() if response.ok else None))

    def sync(jobs: list) -> None:
        """SENDERS connections working through ``jobs``: a body, or a pair sent at once."""
        work: queue.Queue = queue.Queue()
        for job in jobs:
            work.put(job)

        def sender() -> None:
            session = requests.Session()
            session.cookies.update(browser.cookies)
            while True:
                try:
                    job = work.get_nowait()
                except queue.Empty:
                    return
                if isinstance(job, tuple):  # twins: two connections, one barrier
                    barrier = threading.Barrier(2)
                    twin_session = requests.Session()
                    twin_session.cookies.update(browser.cookies)

                    def twin(barrier, job, twin_session):
                        barrier.wait(timeout=30)
                        send(job[1], twin_session)

                    other = threading.Thread(target=twin, args=(barrier, job, twin_session))
                    other.start()
                    barrier.wait(timeout=30)
                    send(job[0], session)
                    other.join(timeout=60)
                else:
                    send(job, session)

        threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    races = []

    def lost_race(context) -> None:  # a twin that found the other already inserting
        if isinstance(context.sqlalchemy_exception, IntegrityError):
            races.append(1)

    with app.app_context():
        engine = database.engine
    event.listen(engine, "handle_error", lost_race)
    try:
        twins = bodies[:TWINS]
        sync([(body, body) for body in twins] + bodies[TWINS:])
        sync(bodies[TWINS:TWINS + RESENT])
    finally:
        event.remove(engine, "handle_error", lost_race)

    assert races, "no twin ever raced the other into the unique constraint"

    statuses = Counter(status for answers in replies.values() for status, _ in answers)
    assert statuses == {201: QUEUED, 200: TWINS + RESENT}  # no 4xx, no 5xx
    for body in bodies:
        got = replies[body["uuid"]]
        assert sorted(status for status, _ in got)[-1] == 201 and [s for s, _ in got].count(201) == 1
        assert all(reply == got[0][1] for _, reply in got)  # every copy answered with the same case
    screenings = database.session.scalars(select(Screening).order_by(Screening.case_sequence)).all()
    assert sorted(s.uuid for s in screenings) == sorted(body["uuid"] for body in bodies)
    assert [s.case_sequence for s in screenings] == list(range(1, QUEUED + 1))  # no gap, none twice
    assert {s.status for s in screenings} == {"complete"}
    assert database.session.scalar(select(func.count()).select_from(Answer)) == sum(map(stored_answers, bodies))
    tiers = Counter(s.tier for s in screenings)
    print(f"\ndrill f: {QUEUED + TWINS + RESENT} posts -> {dict(statuses)}, {len(races)} twin(s) lost the race "
          f"to the unique constraint, {len(screenings)} screenings numbered 1..{QUEUED}")
    assert tiers == Counter(next(v["expected"]["tier"] for v in vignettes() if v["id"] == cases[n % len(cases)])
                            for n in range(QUEUED))
