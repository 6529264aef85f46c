"""Static files under versioned URLs: ``url_for("static", filename=...)`` adds ``?v=<hash of
the file's content>``, and a request carrying the current hash is cached for a year
("immutable"). A changed file gets a new URL, so a phone never keeps an old copy; an old
or missing ``v`` is served as before, revalidated on each use.
"""
from __future__ import annotations

import hashlib
import os

from flask import Flask, request
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    hashes: dict[tuple[str, int, int], str] = {}

    def version(filename: str) -> str | None:
        path = safe_join(app.static_folder or "", filename)
        try:
            stat = os.stat(path) if path else None
        except OSError:
            return None
        if stat is None:
            return None
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key not in hashes:
            with open(path, "rb") as f:
                hashes[key] = hashlib.sha256(f.read()).hexdigest()[:12]
        return hashes[key]

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            current = version(values["filename"])
            if current:
                values["v"] = current

    @app.after_request
    def cache_for_long(response):
        if request.endpoint == "static" and response.status_code == 200:
            wanted = request.args.get("v")
            if wanted and wanted == version((request.view_args or {}).get("filename", "")):
                response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        return response

    app.extensions["static_version"] = version
