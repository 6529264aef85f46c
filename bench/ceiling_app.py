"""The ceiling of bench/sms_load.py: a bare Flask app with one trivial endpoint, served by
gunicorn exactly like the real app (same gunicorn.conf.py, same workers), so the bench can
say how much of what gunicorn and Flask can do on this machine the SMS channel achieves.

    gunicorn -c gunicorn.conf.py 'bench.ceiling_app:create()'
"""
from flask import Flask, Response

REPLY = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>ok</Message></Response>'


def create() -> Flask:
    app = Flask(__name__)

    @app.post("/sms/twilio")
    def reply():
        return Response(REPLY, mimetype="application/xml")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
