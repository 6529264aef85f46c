"""SMS and USSD channels: dialogue, gateway adapters, outbox."""
