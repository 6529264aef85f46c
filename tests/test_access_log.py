"""gunicorn's access log stays one valid JSON object per line, whatever the path holds."""
from __future__ import annotations

import importlib.util
import io
import json
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from tests.conftest import ROOT

PATHS = [
    '/x\n{"fake":1}',  # GET /x%0a%7B%22fake%22:1%7D
    "/x\r\n\t\x00\x1b[31m\x7f",
    '/x\\",\\"status\\":200,\\"y\\":\\"',  # backslashes before the quotes gunicorn escapes
    "/x\\",
    "/ស្វាគមន៍\u2028\u2029",
]


def access_logger():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    cfg = Config()
    for name in ("accesslog", "access_log_format", "logger_class"):
        if hasattr(conf, name):
            cfg.set(name, getattr(conf, name))
    logger = cfg.logger_class(cfg)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.access_log.handlers = [handler]
    return logger, stream


@pytest.mark.parametrize("path", PATHS)
def test_control_characters_in_the_path_cannot_break_or_forge_a_record(path):
    logger, stream = access_logger()
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/x", "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": path,
               "QUERY_STRING": "token=secret"}
    response = SimpleNamespace(status="404 NOT FOUND", sent=12, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, lines
    record = json.loads(lines[0])
    assert record["path"] == path and set(record) == {"at", "method", "path", "status", "bytes", "ms"}
    assert (record["status"], record["bytes"]) == (404, 12) and "secret" not in lines[0]
