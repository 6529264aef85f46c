"""SMS and USSD channels: dialogue, webhooks, rendering, the training simulator.

Outgoing messages go through the outbox (``webapp.outbox``), below every feature. The
dialogue is channel-neutral and goes through the same engine (``questionnaires``) and
services (``webapp.screening.operations``) as the web form. The factory
(``webapp.create_app``) registers its blueprints, its command group and its tick.
"""
