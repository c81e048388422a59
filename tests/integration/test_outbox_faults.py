"""The one outbox under faults, with the real parts (our own redis-server, our own SMTP server or webhook receiver,
`celery worker` processes): a hung SMTP server with two workers, a worker killed mid-send, a worker killed
mid-delivery of a webhook. Each test counts what the receiving end shows: sent, duplicated, lost.

The hung SMTP server is a tarpit: it stores each message when its final dot arrives, then drips its "250" one byte
at a time, each byte inside the client's timeout, so a send lasts longer than the claim time (4 s in the harness)
without ever timing out. Before the claim was renewed while sending, a second worker took such a row as abandoned
and sent it again.
"""

import re
import socketserver
import threading
import time
from collections import Counter

import pytest

from messaging.calendar import mail_domain
from messaging.webhooks.models import WebhookDelivery
from messaging.webhooks.services import webhook_endpoint_create
from scheduling.models import Reminder
from tests import factories
from tests.conftest import api_client_for
from tests.integration.celery_harness import Workers, new_queue, publishing_to, wait_for
from tests.integration.test_faults import counts, own_redis, weekday_at
from tests.messaging.receiver import Receiver

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


class Tarpit:
    """A minimal SMTP server: keeps each message when its final dot arrives; while `dripping` is set it then sends
    its "250" a byte every `drip` seconds. `in_flight` counts the replies being dripped right now."""

    def __init__(self, drip: float = 0.7):
        self.drip = drip
        self.dripping = threading.Event()
        self.messages: list[bytes] = []
        self.in_flight = 0
        self.lock = threading.Lock()
        tarpit = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str, *, slow: bool = False) -> None:
                data = f"{line}\r\n".encode()
                if not slow:
                    self.wfile.write(data)
                    return
                with tarpit.lock:
                    tarpit.in_flight += 1
                try:
                    for byte in data:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(tarpit.drip)
                finally:
                    with tarpit.lock:
                        tarpit.in_flight -= 1

            def handle(self):
                try:
                    self.reply("220 tarpit ready")
                    while line := self.rfile.readline():
                        verb = line[:4].upper()
                        if verb == b"DATA":
                            self.reply("354 go ahead")
                            body = b""
                            while (chunk := self.rfile.readline()) and chunk != b".\r\n":
                                body += chunk
                            with tarpit.lock:
                                tarpit.messages.append(body)
                            self.reply("250 queued", slow=tarpit.dripping.is_set())
                        elif verb == b"QUIT":
                            self.reply("221 bye")
                            return
                        else:
                            self.reply("250 ok")
                except OSError:
                    pass  # the client went away (or was killed)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server.server_address[1]}"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [MESSAGE_ID.search(body).group(1).decode() for body in self.messages]

    def stop(self) -> None:
        self.dripping.clear()
        self.server.shutdown()
        self.server.server_close()


def book_confirmations(clinic, count: int, *, days_ahead: int, every: float = 0) -> list[Reminder]:
    """`count` bookings through the API, `every` seconds apart (as a day's bookings arrive); their confirmations."""
    desk = api_client_for(factories.front_desk_user())
    ids = []
    for k in range(count):
        time.sleep(every if k else 0)
        answer = desk.post(
            "/api/v1/appointments/",
            {
                "patient": factories.PatientFactory().pk,
                "therapy_type": clinic.exosome.pk,
                "product": clinic.plant_lot.product_id,
                "practitioner": clinic.practitioners[k % 2].pk,
                "start": weekday_at(9 + k // 2, days_ahead=days_ahead).isoformat(),
            },
            format="json",
        )
        assert answer.status_code == 201, answer.content
        ids.append(answer.json()["id"])
    return list(Reminder.objects.filter(appointment_id__in=ids, kind="confirmation").select_related("appointment"))


def expected_ids(reminders) -> set[str]:
    return {f"<reminder-{r.pk}.{r.appointment.sequence}@{mail_domain()}>" for r in reminders}


def wait_quietly(predicate, *, timeout: float) -> bool:
    """wait_for without the raise: the figures are printed whatever happened."""
    try:
        wait_for(predicate, timeout=timeout, what="")
    except AssertionError:
        return False
    return True


def settle_then_count(read_ids, expected: set[str], *, workers: Workers, timeout: float = 120) -> dict:
    wait_for(lambda: set(read_ids()) >= expected, timeout=timeout, what=f"{len(expected)} emails\n{workers.logs()}")
    time.sleep(6)  # past another claim time: time for a wrong second copy to arrive
    return counts(read_ids(), expected)


def test_a_hung_smtp_server_with_two_workers_sends_each_email_once(clinic, tmp_path):
    tarpit = Tarpit()
    tarpit.dripping.set()  # every "250" takes about 8 s: longer than the 4 s claim, never a timeout
    with own_redis() as (_, url):
        workers = Workers(url, new_queue(), tmp_path)
        try:
            with publishing_to(url, workers.queue):
                workers.start(tarpit.url, beat=True)
                workers.start(tarpit.url)
                # Spread out, so one worker is free while the other is deep in a send.
                confirmations = book_confirmations(clinic, 6, days_ahead=4, every=2)
                expected = expected_ids(confirmations)
                arrived = wait_quietly(lambda: set(tarpit.message_ids()) >= expected, timeout=120)
                tarpit.dripping.clear()  # the server recovers
                rows = Reminder.objects.filter(pk__in=[r.pk for r in confirmations])
                marked = wait_quietly(lambda: set(rows.values_list("status", flat=True)) == {"sent"}, timeout=60)
                time.sleep(3)
                found = counts(tarpit.message_ids(), expected)
                print(f"\nhung (tarpit) SMTP, two workers: {found} (all in 120 s: {arrived}, all marked: {marked})")
                assert found == {"sent": 6, "duplicated": 0, "lost": 0}, workers.logs()
                assert arrived and marked
        finally:
            workers.stop_all()
            tarpit.stop()


def test_a_worker_killed_mid_send_leaves_at_most_the_email_in_flight_to_be_sent_again(clinic, tmp_path):
    tarpit = Tarpit()
    tarpit.dripping.set()
    with own_redis() as (_, url):
        workers = Workers(url, new_queue(), tmp_path)
        try:
            with publishing_to(url, workers.queue):
                doomed = workers.start(tarpit.url, beat=True)
                confirmations = book_confirmations(clinic, 6, days_ahead=5)
                # The server holds the first message and drips its answer: the worker is mid-send.
                wait_for(lambda: tarpit.in_flight >= 1, timeout=60, what=f"a send in flight\n{workers.logs()}")
                doomed.kill()
                in_flight = len(tarpit.messages)
                tarpit.dripping.clear()
                workers.start(tarpit.url, beat=True)
                found = settle_then_count(tarpit.message_ids, expected_ids(confirmations), workers=workers)
                print(f"\nworker killed mid-send ({in_flight} stored when it died): {found}")
                assert found["lost"] == 0 and found["sent"] == 6
                assert found["duplicated"] <= in_flight  # only what the server had stored when the worker died
        finally:
            workers.stop_all()
            tarpit.stop()


def test_a_worker_killed_mid_delivery_of_a_webhook_is_redelivered_with_the_same_id(clinic, tmp_path, settings):
    settings.CLINIC_WEBHOOKS_ALLOW_PRIVATE = True
    receiver = Receiver().start()
    receiver.answers = [("hang", 30)]  # the first request is read, then held: the worker is mid-delivery
    endpoint = webhook_endpoint_create(url=receiver.url, events=["appointment.booked"])
    receiver.secret = endpoint.secret
    knobs = {"CLINIC_WEBHOOKS_ALLOW_PRIVATE": "true", "CLINIC_WEBHOOK_TIMEOUT_SECONDS": "60"}
    with own_redis() as (_, url):
        workers = Workers(url, new_queue(), tmp_path)
        try:
            with publishing_to(url, workers.queue):
                doomed = workers.start("smtp://127.0.0.1:9", beat=True, **knobs)
                [confirmation] = book_confirmations(clinic, 1, days_ahead=6)
                wait_for(lambda: receiver.received, timeout=60, what=f"the first delivery\n{workers.logs()}")
                doomed.kill()
                workers.start("smtp://127.0.0.1:9", beat=True, **knobs)
                wait_for(lambda: len(receiver.received) >= 2, timeout=60, what=f"a redelivery\n{workers.logs()}")
                time.sleep(6)
                delivery = WebhookDelivery.objects.get()
                ids = [r.webhook_id for r in receiver.received]
                found = counts(ids, {delivery.webhook_id})
                print(f"\nworker killed mid-delivery of a webhook: {found}, ids {Counter(ids)}")
                assert found == {"sent": 1, "duplicated": 1, "lost": 0}  # at least once, never twice a new id
                assert all(r.payload is not None for r in receiver.received)  # both signed, both verify
                wait_for(lambda: WebhookDelivery.objects.get().status == "delivered", timeout=30, what="delivered")
                assert confirmation.appointment_id == receiver.received[0].payload["data"]["appointment"]
        finally:
            workers.stop_all()
            receiver.stop()
