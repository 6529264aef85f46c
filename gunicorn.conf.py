"""Gunicorn settings for production: several workers, no personal data in access logs.

    gunicorn -c gunicorn.conf.py wsgi:app
"""
import json
import multiprocessing
import os

from gunicorn.glogging import Logger

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# Twilio waits 15 s for a reply and USSD gateways 2 s: a request stuck longer is killed.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "20"))
graceful_timeout = 20
keepalive = 5
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
preload_app = False  # each worker opens its own database pool


def post_worker_init(worker):
    """Each worker reads the questionnaires and the phone texts and fills the skip rule's
    tables before its first request, so no message pays for them (sms/warm.py)."""
    from sms.warm import warm_up  # noqa: PLC0415 - gunicorn reads this file before the app is importable

    warm_up()
# Access log: path without the query string (the USSD token travels there), no client IP,
# no user agent, no referrer.
accesslog = "-"
access_log_format = '{"at":"%(t)s","method":"%(m)s","path":"%(U)s","status":%(s)s,"bytes":%(B)s,"ms":%(M)s}'


class JsonAtoms(dict):
    """Each text atom escaped as the inside of a JSON string (quotes, backslashes, newlines
    and every other control character), so a path such as ``/x%0a{...}`` or ``/x%5c%22``
    can neither split a record nor forge a field. Unknown atoms are "-", as in gunicorn."""

    def __init__(self, atoms):
        super().__init__()
        for key, value in atoms.items():
            self[key] = json.dumps(value)[1:-1] if isinstance(value, str) else value

    def __getitem__(self, key):
        if key.startswith("{"):
            key = key.lower()
        return super().__getitem__(key) if key in self else "-"


class JsonAccessLogger(Logger):
    atoms_wrapper_class = JsonAtoms


logger_class = JsonAccessLogger
errorlog = "-"
# Only the scheme (X-Forwarded-Proto) from these peers; gunicorn never rewrites the client
# address. Behind a load balancer set TRUSTED_PROXY_HOPS=1 (the app's ProxyFix then takes
# the client address from X-Forwarded-For) and let only the balancer reach BIND.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
