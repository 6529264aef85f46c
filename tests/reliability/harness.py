"""Running the app for real and driving it like a Twilio gateway: shared by the fault drills
(``tests/reliability``) and the load bench (``bench/sms_load.py``).

No pytest here (the bench runs without it). Everything listens and connects on 127.0.0.1
only, and every wait and every loop is bounded in count and in time.

- :class:`Gunicorn`: the app (or any WSGI target) under gunicorn with ``gunicorn.conf.py``,
  on a free port, several workers, logs to files.
- :class:`Gateway`: signed ``POST /sms/twilio`` requests, retried as a gateway does after a
  connection error or a 5xx, with the same ``MessageSid`` and signature.
- :func:`screen_by_sms`: one staff phone completing a screening, reading the question off
  each reply and answering from a vignette (``tests/sms/helpers.py``).
- :class:`ThrowawayPostgres`: a PostgreSQL cluster of its own (``initdb``/``pg_ctl``) on a
  free port in a temporary directory, run as the ``postgres`` user when we are root.
"""
from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[2]
VIGNETTES = ROOT.parent / "shared" / "vignettes" / "examples.json"


def _postgres_bin() -> Path:
    """PG_BIN, else the newest Debian PostgreSQL, else wherever pg_ctl is on PATH."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0)
    if debian:
        return debian[-1].parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _postgres_bin()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(config, **overrides: str) -> dict[str, str]:
    """Environment variables that make ``create_app()`` (``wsgi.py``) build ``config``'s app
    in production mode: what a deploy's ``/etc/screening/env`` holds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMS_", "DATABASE_", "GUNICORN_"))}
    env.update(
        APP_ENV="production",
        SECRET_KEY=config.secret_key,
        DATABASE_URL=config.database_url,
        ENCRYPTION_KEYS=config.encryption_keys,
        HASH_KEY=config.hash_key,
        PUBLIC_BASE_URL=config.public_base_url,
        TWILIO_ACCOUNT_SID=config.twilio_account_sid,
        TWILIO_AUTH_TOKEN=config.twilio_auth_token,
        TWILIO_FROM_NUMBER=config.twilio_from_number,
        SMS_PROVIDER="log",
        # Simulated phones answer the moment the reply arrives, far above the per-phone
        # limit meant for people (30 a minute): these runs measure the server, not the limit.
        SMS_RATE_LIMIT="100000 per minute",
        USSD_RATE_LIMIT="100000 per minute",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py TARGET`` on a free 127.0.0.1 port; a context manager.

    Access and error logs go to files in ``log_dir`` (``errors()`` reads them back)."""

    def __init__(self, env: dict[str, str], *, workers: int = 2, target: str = "wsgi:app", log_dir: Path | None = None,
                 ready_path: str = "/healthz", start_timeout: float = 60.0):
        self.port = free_port()
        self.workers = workers
        self.target = target
        self.ready_path = ready_path
        self.start_timeout = start_timeout
        self.env = dict(env, BIND=f"127.0.0.1:{self.port}", WEB_CONCURRENCY=str(workers))
        self._own_dir = log_dir is None
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="gunicorn-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), self.target]
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # Open for the server's lifetime (its stdout and stderr), closed when it stops.
        self._out = open(self.log_dir / "access.log", "ab")  # noqa: SIM115
        self._err = open(self.log_dir / "error.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self._out, stderr=self._err,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.errors()[-3000:]}")
            if len(self.worker_pids()) >= self.workers and self._answers():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer {self.ready_path} in {self.start_timeout:.0f} s:\n{self.errors()[-3000:]}")

    def _answers(self) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", self.ready_path)
            ok = connection.getresponse().status == 200
            connection.close()
            return ok
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        """The live worker processes (children of the arbiter)."""
        if self.process is None:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                pids.append(int(entry.name))
        return sorted(pids)

    def wait_for_workers(self, count: int, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.worker_pids()) >= count:
                return True
            time.sleep(0.05)
        return False

    def errors(self) -> str:
        path = self.log_dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for handle in (getattr(self, "_out", None), getattr(self, "_err", None)):
            if handle is not None:
                handle.close()
        if self._own_dir:
            shutil.rmtree(self.log_dir, ignore_errors=True)

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- the gateway ---------------------------------------------------------------------------


@dataclass
class Attempt:
    """One HTTP attempt: its status (0 for a broken connection) and when it ran."""

    sid: str
    status: int
    started: float
    ended: float

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Delivery:
    """One inbound message as the gateway finally delivered it (after its retries), with
    the signed request (to deliver it again)."""

    sid: str
    status: int
    texts: list[str]
    attempts: list[Attempt]
    data: dict = field(default_factory=dict, repr=False)
    headers: dict = field(default_factory=dict, repr=False)


_sid_counter = itertools.count(1)


class Gateway:
    """Posts signed inbound SMS to ``base_url + /sms/twilio`` like Twilio, and retries a
    broken connection or a 5xx with the very same request (same ``MessageSid``), as a
    gateway does, at most ``retries`` times with a growing pause."""

    path = "/sms/twilio"

    def __init__(self, base_url: str, *, auth_token: str, public_base: str, account_sid: str = "AC" + "0" * 32,
                 to_number: str = "+15005550006", retries: int = 12, timeout: float = 30.0, sid_prefix: str = ""):
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.validator = RequestValidator(auth_token)
        self.signed_url = public_base.rstrip("/") + self.path
        self.account_sid = account_sid
        self.to_number = to_number
        self.retries = retries
        self.timeout = timeout
        # Distinct per gateway, so two runs on one database never share a MessageSid.
        self.sid_prefix = sid_prefix or os.urandom(4).hex()
        self.attempts: list[Attempt] = []
        self._lock = threading.Lock()

    def new_sid(self) -> str:
        return f"SM{self.sid_prefix}{next(_sid_counter):024x}"[:34]

    def signed(self, phone: str, body: str, sid: str | None = None) -> tuple[dict, dict]:
        data = {"MessageSid": sid or self.new_sid(), "AccountSid": self.account_sid, "From": phone,
                "To": self.to_number, "Body": body}
        return data, {"X-Twilio-Signature": self.validator.compute_signature(self.signed_url, data),
                      "Content-Type": "application/x-www-form-urlencoded"}

    def post_once(self, data: dict, headers: dict) -> tuple[int, str]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request("POST", self.path, body=urlencode(data).encode("utf-8"), headers=headers)
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8")
        finally:
            connection.close()

    def deliver(self, data: dict, headers: dict) -> Delivery:
        attempts: list[Attempt] = []
        status, body = 0, ""
        for attempt in range(self.retries + 1):
            started = time.monotonic()
            try:
                status, body = self.post_once(data, headers)
            except (OSError, http.client.HTTPException):
                status, body = 0, ""
            attempts.append(Attempt(data["MessageSid"], status, started, time.monotonic()))
            if 0 < status < 500:
                break
            time.sleep(min(0.05 * 2 ** attempt, 1.0))
        with self._lock:
            self.attempts.extend(attempts)
        return Delivery(data["MessageSid"], status, twiml_texts(body) if status == 200 else [], attempts, data, headers)

    def send(self, phone: str, body: str, sid: str | None = None) -> Delivery:
        return self.deliver(*self.signed(phone, body, sid))


def twiml_texts(xml: str) -> list[str]:
    return [(message.text or "") for message in ET.fromstring(xml).iter("Message")]


# --- a staff phone completing a screening ----------------------------------------------------


def vignettes() -> list[dict]:
    """The public vignettes a screener can be asked about (those with consent)."""
    if not VIGNETTES.exists():
        raise FileNotFoundError(f"{VIGNETTES} is missing: the shared/ folder must sit beside the repository")
    from tests.conftest import as_current

    every = json.loads(VIGNETTES.read_text(encoding="utf-8"))
    # As the current questionnaire asks them (version 2 adds U3, return_mode, P10, C7).
    return [dict(v, answers=as_current(v["answers"])) for v in every if v["answers"].get("consent") == "yes"]


@dataclass
class PhoneRun:
    """What one phone sent and got: the answers given (code -> value), the case number the
    result named, every delivery."""

    phone: str
    vignette: str
    expected_tier: str
    answers: dict = field(default_factory=dict)
    case_number: str | None = None
    result_text: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    error: str | None = None

    @property
    def complete(self) -> bool:
        return self.case_number is not None and self.error is None


def screen_by_sms(gateway: Gateway, phone: str, vignette: dict, *, language: str = "km",
                  max_messages: int = 80, on_delivery=None, stop_at: float | None = None,
                  think: float = 0.0) -> PhoneRun:
    """SCREEN, consent, then each asked question answered as a Khmer screener types it,
    until the result comes. Stops (``error`` set) on a failure the retries did not cure,
    or at ``stop_at`` (a ``time.monotonic()`` moment: the bench's end). ``think``: seconds
    (on average, 0.5x to 1.5x) between a reply and the next message, as a person takes."""
    from sms import messages
    from tests.sms.helpers import CASE_NUMBER, asked_codes_in_sms, group_reply

    answers = dict(vignette["answers"], age_maybe_minor="no")
    run = PhoneRun(phone, vignette["id"], vignette["expected"]["tier"])
    body = "ពិនិត្យ" if language == "km" else "SCREEN"
    for turn in range(max_messages):
        if think and turn:
            time.sleep(think * random.uniform(0.5, 1.5))
        if stop_at is not None and time.monotonic() >= stop_at:
            run.error = "stopped"
            return run
        delivery = gateway.send(phone, body)
        run.deliveries.append(delivery)
        if on_delivery is not None:
            on_delivery(delivery)
        if delivery.status != 200:
            run.error = f"HTTP {delivery.status} after {len(delivery.attempts)} attempt(s)"
            return run
        codes = asked_codes_in_sms(delivery.texts, language)
        text = "\n".join(delivery.texts)
        if not codes or messages.text("record.intro", language) in text:  # the result came
            found = CASE_NUMBER.search(text)
            run.case_number = found.group() if found else None
            run.result_text = text
            if found is None:
                run.error = f"neither a question nor a result: {text[:200]!r}"
            return run
        # Questions asked together with needed ones that the example leaves out: no.
        given = {code: answers.get(code, "no") for code in codes}
        run.answers.update({code: value for code, value in given.items() if code != "consent"})
        if language == "km":
            body = group_reply(codes, given, turn)
        else:
            body = " ".join(str(given[code]) for code in codes)
    run.error = f"no result after {max_messages} messages"
    return run


def run_phones(count: int, work, *, timeout: float) -> list:
    """``work(i)`` for i in range(count), each in its own thread, all started together;
    returns the results in order (None where a thread did not finish in ``timeout``)."""
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def runner(i: int) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=30)
        results[i] = work(i)

    threads = [threading.Thread(target=runner, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return results


# --- a PostgreSQL cluster of our own ------------------------------------------------------------


class PostgresUnavailable(RuntimeError):
    """initdb/pg_ctl cannot be run here (the reason says why)."""


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary directory on a free port (127.0.0.1 and a socket
    in that directory only), never the machine's own server. initdb and pg_ctl refuse to
    run as root, so as root they run as the ``postgres`` user, which owns the directory."""

    def __init__(self, bin_dir: Path = PG_BIN):
        self.bin_dir = bin_dir
        self.port = free_port()
        self.directory: Path | None = None

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_owner(self, *args: str) -> list[str]:
        if os.geteuid() != 0:
            return list(args)
        runuser = shutil.which("runuser")
        if runuser is None:
            raise PostgresUnavailable("running as root and runuser is missing (initdb refuses root)")
        return [runuser, "-u", "postgres", "--", *args]

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(self._as_owner(*args), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, cwd="/")
        if done.returncode != 0:
            log = self.log_text()[-2000:]
            raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr[-2000:]}\n{log}")

    def log_text(self) -> str:
        path = self.directory / "server.log" if self.directory else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    def start(self) -> ThrowawayPostgres:
        for tool in ("initdb", "pg_ctl"):
            if not (self.bin_dir / tool).exists():
                raise PostgresUnavailable(f"{self.bin_dir / tool} not found (set PG_BIN)")
        if os.geteuid() == 0:
            try:
                import pwd

                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no postgres user to run initdb as") from None
        self.directory = Path(tempfile.mkdtemp(prefix="pg-drill-"))
        self.directory.chmod(0o755)
        if os.geteuid() == 0:
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
        self._start()
        return self

    def _start(self) -> None:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c max_connections=60")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.directory / "server.log"), "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def restart(self, down_seconds: float = 0.0) -> tuple[float, float]:
        """Stop (fast: open transactions are cut), stay down a while, start; returns the
        window (monotonic start and end) during which the database was unreachable."""
        began = time.monotonic()
        self.stop("fast")
        time.sleep(down_seconds)
        self._start()
        return began, time.monotonic()

    def destroy(self) -> None:
        if self.directory is None:
            return
        if (self.data / "postmaster.pid").exists():
            # Cleaning up: remove what is left regardless.
            with contextlib.suppress(Exception):
                self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None

    def __enter__(self) -> ThrowawayPostgres:
        try:
            return self.start()
        except Exception:
            self.destroy()
            raise

    def __exit__(self, *exc) -> None:
        self.destroy()
