"""A consumer in its own process, for the test that kills one: it prints each payload it
handles and stalls for good (never acknowledging) on the payload `stall`."""

from __future__ import annotations

import sys
import threading

from bus.mqtt_url import parse_mqtt_url
from bus.subscriber import Delivery, Subscriber, SubscriberOptions, raw_payload


def main() -> None:
    url, client_id, topic_filter = sys.argv[1:4]

    def handle(payload: bytes, _delivery: Delivery) -> None:
        if payload == b"stall":
            print("stalled", flush=True)
            threading.Event().wait()  # until SIGKILL: this message is never acknowledged
        print(f"got {payload.decode()}", flush=True)

    options = SubscriberOptions(client_id=client_id, filters=(topic_filter,))
    subscriber = Subscriber(parse_mqtt_url(url), options, raw_payload, handle).start()
    if not subscriber.wait_subscribed(10):
        sys.exit("could not subscribe")
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
