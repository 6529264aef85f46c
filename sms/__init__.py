"""SMS and USSD channels: dialogue, webhooks, rendering, the training simulator.

Outgoing messages go through the outbox (``webapp.outbox``), below every feature. The
dialogue is channel-neutral and goes through the same engine (``questionnaires``) and
services (``webapp.screening.operations``) as the web form.
"""


def init_app(app) -> None:
    """Register the SMS/USSD blueprints and CLI group on ``app``, and the channel's tick on
    the outbox worker."""
    from webapp.outbox.cli import add_tick

    from .cli import sms_cli, tick
    from .views import simulator, webhooks

    app.register_blueprint(webhooks)
    app.register_blueprint(simulator)
    app.cli.add_command(sms_cli)
    add_tick(app, tick)
