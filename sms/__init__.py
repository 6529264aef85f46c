"""SMS and USSD channels: dialogue, gateway adapters, outbox.

Only the gateway adapters import a provider SDK. The dialogue is channel-neutral and goes
through the same engine (``questionnaires``) and services (``webapp.screening.operations``)
as the web form.
"""


def init_app(app) -> None:
    """Register the SMS/USSD blueprints and CLI commands on ``app``."""
    from .cli import outbox_cli, sms_cli
    from .views import simulator, webhooks

    app.register_blueprint(webhooks)
    app.register_blueprint(simulator)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(sms_cli)
