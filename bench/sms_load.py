"""The SMS channel under load: complete signed screenings from many staff phones at once.

    .venv/bin/python bench/sms_load.py                  # 32 phones, 30 s each phase
    .venv/bin/python bench/sms_load.py --phones 8 --seconds 10 --profile /tmp/prof

What it does, all on 127.0.0.1:
1. creates a PostgreSQL database of its own (``bench_<random>``, on the server named by
   ``--admin-url``, dropped at the end), runs the migrations, adds synthetic staff users
   (``DEMO Bench Screener nn``, phones +855 12 0xx xxx);
2. starts the app under gunicorn (``gunicorn.conf.py``, ``--workers`` workers, production
   settings) and, for ``--seconds``, lets ``--phones`` simulated staff phones each complete
   screening after screening as fast as the replies come: SCREEN, consent, every question
   read off the reply and answered as a Khmer screener types it (tests/sms/helpers.py), each
   request signed as Twilio signs it (the per-phone rate limit, 30 a minute for people, is
   lifted for these phones); then, for as long again, at a paced rate (``--think``);
3. serves a bare Flask app with one trivial endpoint the same way (bench/ceiling_app.py)
   and posts the same signed requests to it for as long: the ceiling;
4. then the database floor (bench/floor_app.py, skipped with ``--no-floor``): the same signed
   requests to an endpoint that does only what a correct turn cannot avoid, one locked read,
   the MessageSid stored, the session moved on and a commit, through SQLAlchemy Core on the
   same database; what the app costs above that is our own code;
5. prints messages per second, p50/p95/p99 latency of each, and the ratio.

The phones wait for each reply before sending the next message (a closed loop): with P
phones in flight, latency = P / throughput, so the latency target is also a throughput
target. The paced phase shows the wait at a load the server keeps up with. The load
generator runs on the same machine and takes a share of its cores.
``--profile DIR`` records the app's workers with py-spy during the app phase and prints
where their time goes.

Targets (issue 8, a 2-core machine): p95 under 50 ms at 32 phones, and at least 40% of
the ceiling's messages per second. Exit status 1 when a screening went wrong (a non-200
reply after retries, a stored count that does not add up); missed targets are reported.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.reliability.harness import Gateway, Gunicorn, app_environment, screen_by_sms, vignettes  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.config import Config  # noqa: E402

AUTH_TOKEN = "bench-twilio-auth-token"
PUBLIC_BASE = "https://screening.bench.invalid"
TARGET_P95_MS = 50.0
TARGET_RATIO = 0.40


@dataclass
class Phase:
    name: str
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    failures: int = 0  # deliveries that were not 200 after the gateway's retries
    retried: int = 0  # attempts beyond the first (a 5xx or a broken connection)
    screenings: int = 0

    @property
    def messages(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def line(self) -> str:
        return (f"{self.name:8} {self.rate:8.1f} msg/s  p50 {self.percentile(50):6.1f} ms  "
                f"p95 {self.percentile(95):6.1f} ms  p99 {self.percentile(99):6.1f} ms  "
                f"({self.messages} messages in {self.seconds:.1f} s, {self.failures} failed, {self.retried} retried)")


# --- the database ---------------------------------------------------------------------------


def create_database(admin_url: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def bench_config(database_url: str) -> Config:
    return Config(
        env="production",
        secret_key="bench-secret-key-" + "x" * 40,
        database_url=database_url,
        encryption_keys="b1:" + Fernet.generate_key().decode(),
        hash_key="bench-hash-key-" + uuid.uuid4().hex,
        public_base_url=PUBLIC_BASE,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number="+15005550006",
    )


def phone_number(i: int) -> str:
    return f"+85512{i + 1:06d}"  # +855 12 0xx xxx: the synthetic block


def prepare(config: Config, phones: int) -> None:
    """Migrations, then one synthetic border-post screener per phone."""
    from flask_migrate import upgrade

    from webapp.auth.operations import create_user
    from webapp.extensions import db

    app = create_app(config)
    with app.app_context():
        upgrade()
        for i in range(phones):
            create_user(role="border", name=f"DEMO Bench Screener {i + 1:02d}", phone=phone_number(i),
                        username=f"bench{i + 1:02d}", post_code="POIPET", province_code="BMC", language="km",
                        password="bench password 123")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def stored_counts(config: Config) -> dict[str, int]:
    from sms.models import InboundMessage
    from webapp.extensions import db
    from webapp.outbox.models import OutboxMessage
    from webapp.screening.models import Answer, Screening

    app = create_app(config)
    with app.app_context():
        counts = {
            "complete": db.session.scalar(select(func.count()).select_from(Screening).where(Screening.status == "complete")),
            "screenings": db.session.scalar(select(func.count()).select_from(Screening)),
            "answers": db.session.scalar(select(func.count()).select_from(Answer)),
            "inbound": db.session.scalar(select(func.count()).select_from(InboundMessage)),
            "outbox": db.session.scalar(select(func.count()).select_from(OutboxMessage)),
        }
        db.session.remove()
        db.engine.dispose()
    return counts


# --- the load -------------------------------------------------------------------------------


def drive_screenings(url: str, phones: int, seconds: float, name: str, think: float = 0.0) -> tuple[Phase, list]:
    """Each phone completes screenings back to back until ``seconds`` have passed, sending
    each message as soon as the reply arrives (or ``think`` seconds later, on average)."""
    gateway = Gateway(url, auth_token=AUTH_TOKEN, public_base=PUBLIC_BASE, retries=3)
    cases = vignettes()
    runs: list = []
    lock = threading.Lock()
    barrier = threading.Barrier(phones + 1)
    stop_at = [0.0]

    def phone(i: int) -> None:
        barrier.wait(timeout=60)
        n = 0
        while time.monotonic() < stop_at[0]:
            run = screen_by_sms(gateway, phone_number(i), cases[(i + n) % len(cases)], stop_at=stop_at[0], think=think)
            n += 1
            with lock:
                runs.append(run)

    threads = [threading.Thread(target=phone, args=(i,), daemon=True) for i in range(phones)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + seconds
    started = time.monotonic()
    barrier.wait(timeout=60)
    for thread in threads:
        thread.join(timeout=seconds + 60)
    phase = Phase(name, time.monotonic() - started)
    for run in runs:
        for delivery in run.deliveries:
            if delivery.status == 200:
                phase.latencies_ms.append(delivery.attempts[-1].seconds * 1000)
            else:
                phase.failures += 1
            phase.retried += len(delivery.attempts) - 1
        phase.screenings += run.complete
    return phase, runs


def drive_ceiling(url: str, phones: int, seconds: float, name: str = "ceiling") -> Phase:
    """The same signed requests, as fast as the replies come, to a trivial endpoint (the
    ceiling, or the database floor of bench/floor_app.py)."""
    gateway = Gateway(url, auth_token=AUTH_TOKEN, public_base=PUBLIC_BASE, retries=3)
    results: list[list] = [[] for _ in range(phones)]
    barrier = threading.Barrier(phones + 1)
    stop_at = [0.0]

    def phone(i: int) -> None:
        barrier.wait(timeout=60)
        while time.monotonic() < stop_at[0]:
            results[i].append(gateway.send(phone_number(i), "1"))

    threads = [threading.Thread(target=phone, args=(i,), daemon=True) for i in range(phones)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + seconds
    started = time.monotonic()
    barrier.wait(timeout=60)
    for thread in threads:
        thread.join(timeout=seconds + 60)
    phase = Phase(name, time.monotonic() - started)
    for deliveries in results:
        for delivery in deliveries:
            if delivery.status == 200:
                phase.latencies_ms.append(delivery.attempts[-1].seconds * 1000)
            else:
                phase.failures += 1
            phase.retried += len(delivery.attempts) - 1
    return phase


# --- profiling ------------------------------------------------------------------------------


def start_profiler(server: Gunicorn, directory: Path, seconds: float) -> list[subprocess.Popen]:
    """py-spy on every worker, collapsed stacks (one file per worker). Only samples holding
    the GIL count (--gil): the workers are CPU-bound, so this is where the CPU goes."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("--profile needs py-spy: .venv/bin/pip install py-spy", file=sys.stderr)
        return []
    directory.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
                          "--format", "raw", "--gil", "--nonblocking", "--output", str(directory / f"worker-{pid}.txt")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for pid in server.worker_pids()
    ]


def summarise_profile(directory: Path, top: int = 18) -> None:
    """Where the workers' time goes: the share of samples inside each of our functions
    (inclusive), and the share whose innermost frame is in each library (self)."""
    ours: dict[str, int] = {}
    libraries: dict[str, int] = {}
    total = 0
    for path in directory.glob("worker-*.txt"):
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = [_frame(frame) for frame in stack.split(";")]
            for name in {name for name, package in frames if package in ("webapp", "sms", "questionnaires")}:
                ours[name] = ours.get(name, 0) + n
            package = frames[-1][1] if frames else "?"
            libraries[package] = libraries.get(package, 0) + n
    if not total:
        print("no profile samples recorded")
        return
    print(f"\nwhere the workers' time goes ({total} samples of the {len(list(directory.glob('worker-*.txt')))} workers)")
    print("  inside our functions (inclusive):")
    for name, n in sorted(ours.items(), key=lambda item: -item[1])[:top]:
        print(f"    {100 * n / total:5.1f}%  {name}")
    print("  innermost frame by package (self):")
    for name, n in sorted(libraries.items(), key=lambda item: -item[1])[:8]:
        print(f"    {100 * n / total:5.1f}%  {name}")


def _frame(frame: str) -> tuple[str, str]:
    """'function (path/to/module.py:12)' -> ('function (module.py)', top-level package)."""
    function, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    elif str(ROOT) + "/" in path:
        path = path.split(str(ROOT) + "/", 1)[1]
    parts = path.split("/")
    package = parts[0].removesuffix(".py") if len(parts) > 1 else "python"
    return f"{function} ({path})", package


# --- main -----------------------------------------------------------------------------------


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model or platform.processor() or 'unknown CPU'}), Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=32, help="staff phones at once (default 32)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase (default 30)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1,
                        help="gunicorn workers, for the app and the ceiling (default 2 x cores + 1)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of unmeasured load first (default 3)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="a paced phase too: each phone waits this long on average after a reply "
                             "(default 1 s; a person takes 10 s or more; 0 skips the phase)")
    parser.add_argument("--no-floor", dest="floor", action="store_false",
                        help="skip the database floor phase (bench/floor_app.py)")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
                        help="a PostgreSQL URL allowed to CREATE DATABASE (default: postgres on 127.0.0.1:5432)")
    parser.add_argument("--profile", type=Path, help="record the workers with py-spy into this folder")
    args = parser.parse_args(argv)
    if not 1 <= args.phones <= 500 or not 1 <= args.seconds <= 600:
        parser.error("--phones must be 1..500 and --seconds 1..600")

    started_at = datetime.now(UTC)
    load_before = os.getloadavg()[0]
    database_url = create_database(args.admin_url)
    try:
        config = bench_config(database_url)
        print(f"database {make_url(database_url).database}: migrating, adding {args.phones} synthetic screeners")
        prepare(config, args.phones)
        env = app_environment(config, LOG_LEVEL="WARNING")
        with Gunicorn(env, workers=args.workers) as server:
            if args.warmup:
                drive_screenings(server.url, args.phones, args.warmup, "warm-up")
            before = stored_counts(config)
            profilers = start_profiler(server, args.profile, args.seconds) if args.profile else []
            app_phase, runs = drive_screenings(server.url, args.phones, args.seconds, "app")
            for profiler in profilers:
                profiler.wait(timeout=60)
            after = stored_counts(config)
            paced = drive_screenings(server.url, args.phones, args.seconds, "paced", args.think)[0] if args.think else None
            errors = [line for line in server.errors().splitlines() if '"ERROR"' in line or "Traceback" in line]
        ceiling_env = dict(env, DATABASE_URL="", SECRET_KEY="")
        with Gunicorn(ceiling_env, workers=args.workers, target="bench.ceiling_app:create()") as ceiling_server:
            drive_ceiling(ceiling_server.url, args.phones, min(args.warmup, 3.0) or 1.0)
            ceiling = drive_ceiling(ceiling_server.url, args.phones, args.seconds)
        floor = None
        if args.floor:
            from bench import floor_app

            floor_app.prepare(database_url)
            floor_env = dict(ceiling_env, FLOOR_DATABASE_URL=database_url)
            with Gunicorn(floor_env, workers=args.workers, target="bench.floor_app:create()") as floor_server:
                drive_ceiling(floor_server.url, args.phones, min(args.warmup, 3.0) or 1.0, "floor")
                floor = drive_ceiling(floor_server.url, args.phones, args.seconds, "floor")
    finally:
        drop_database(args.admin_url, database_url)

    ratio = app_phase.rate / ceiling.rate if ceiling.rate else 0.0
    print(f"\nSMS load bench, {started_at:%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"gunicorn {args.workers} sync workers, PostgreSQL on 127.0.0.1, {args.phones} phones, "
          f"{args.seconds:.0f} s per phase; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
          f"(the phones run on this machine too)\n")
    print(app_phase.line())
    if paced is not None:
        print(paced.line())
        print(f"         (paced: each phone waits {args.think:g} s on average after a reply before the next message)")
    print(ceiling.line())
    if floor is not None:
        print(floor.line())
        print("         (floor: the same signed requests, each one locked read, two writes and a commit on "
              "PostgreSQL, no ORM: bench/floor_app.py)")
    print(f"\nscreenings completed: {app_phase.screenings}; ratio to the ceiling: {ratio:.2f}")
    if floor is not None and floor.rate:
        print(f"ratio to the database floor: {app_phase.rate / floor.rate:.2f}; the floor's own ratio to the ceiling: "
              f"{floor.rate / ceiling.rate:.2f}, p95 {floor.percentile(95):.1f} ms")
    p95 = app_phase.percentile(95)
    print(f"target p95 < {TARGET_P95_MS:.0f} ms: {'met' if p95 < TARGET_P95_MS else 'MISSED'} ({p95:.1f} ms); "
          f"target ratio >= {TARGET_RATIO:.2f}: {'met' if ratio >= TARGET_RATIO else 'MISSED'} ({ratio:.2f})")
    if app_phase.rate:
        print(f"(closed loop: {args.phones} phones / {app_phase.rate:.0f} msg/s = "
              f"{1000 * args.phones / app_phase.rate:.0f} ms mean wait per message)")
    if args.profile:
        summarise_profile(args.profile)

    # Every message handled once: one stored inbound per 200 reply in the measured phase.
    handled = after["inbound"] - before["inbound"]
    problems = []
    for phase in (app_phase, paced, floor):
        if phase is not None and phase.failures:
            problems.append(f"{phase.failures} message(s) of the {phase.name} phase failed after retries")
    if handled != app_phase.messages:
        problems.append(f"{app_phase.messages} replies but {handled} messages stored")
    cases = [run.case_number for run in runs if run.complete]
    if len(set(cases)) != len(cases):
        problems.append("two screenings got the same case number")
    if errors:
        problems.append(f"{len(errors)} error line(s) in the gunicorn log, e.g. {errors[0][:300]}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
