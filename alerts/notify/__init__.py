"""Notifications of alert changes: the MQTT alert topic (retained while firing) and webhooks."""
