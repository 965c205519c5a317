"""Broker URLs: what is accepted, and that the password never shows."""

from __future__ import annotations

import pytest

from bus.mqtt_url import BadMqttUrl, parse_mqtt_url


def test_plain_and_tls_urls_with_default_ports() -> None:
    plain = parse_mqtt_url("mqtt://broker.local")
    assert (plain.host, plain.port, plain.tls, plain.username) == (
        "broker.local",
        1883,
        False,
        None,
    )
    tls = parse_mqtt_url("mqtts://10.1.2.3")
    assert (tls.port, tls.tls) == (8883, True)


def test_credentials_are_parsed_but_never_shown() -> None:
    endpoint = parse_mqtt_url("mqtts://ingest:p%40ss-w0rd@10.1.2.3:18883/")
    assert (endpoint.username, endpoint.password, endpoint.port) == ("ingest", "p@ss-w0rd", 18883)
    assert "w0rd" not in repr(endpoint)
    assert "w0rd" not in endpoint.display
    assert "ingest" not in repr(endpoint)


@pytest.mark.parametrize(
    "url",
    [
        "tcp://u:secret@host:1883",
        "mqtt://u:secret@:1883",
        "mqtt://u:secret@host:99999",
        "mqtt://u:secret@host/topic",
        "http://u:secret@host",
    ],
)
def test_unusable_urls_say_why_without_the_password(url: str) -> None:
    with pytest.raises(BadMqttUrl) as caught:
        parse_mqtt_url(url)
    assert "secret" not in str(caught.value)
