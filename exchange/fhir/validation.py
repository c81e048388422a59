"""Validation of the FHIR JSON we send, by the fhir.resources R4B models, remembered by content.

The JSON sent is the builder's own (already in JSON form), checked by the model of its type: the library's
serialiser costs about twice its validation, and a day's appointments go out in one Bundle.
"""

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any


class ValidatedContent:
    """Remembers which JSON the models have already passed, by a digest of the content (the most recently seen
    `size` kept). Validation is a function of the content alone, and costs about 1 ms per appointment, five times
    what the REST list spends on a row: a day read again (the desk, a calendar, an EHR polling) is checked once,
    not on every read. Elements many resources share (a practitioner's or a room's participant, a therapy's code)
    are validated once as their own models and handed to the resource's model as such (pydantic takes a model
    instance without validating it again), so even a first read validates only what is new in each resource."""

    def __init__(self, size: int):
        self.size = size
        self._seen: OrderedDict[bytes, Any] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _digest(model: type, data: dict) -> bytes:
        text = json.dumps(data, separators=(",", ":")).encode()
        return hashlib.blake2b(model.__name__.encode() + b"\0" + text, digest_size=16).digest()

    def _recall(self, digest: bytes):
        with self._lock:
            if digest in self._seen:
                self._seen.move_to_end(digest)
                return self._seen[digest]
        return None

    def _remember(self, digest: bytes, value) -> None:
        with self._lock:
            self._seen[digest] = value
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)

    def check(self, model: type, data: dict, *, shared: dict[str, type] | None = None) -> None:
        """Validate `data` with `model` unless this very content passed before; `shared` names list elements
        (field -> element model) validated through element()."""
        digest = self._digest(model, data)
        if self._recall(digest) is not None:
            return
        prepared = dict(data)
        for name, element_model in (shared or {}).items():
            if name in data:
                prepared[name] = [self.element(element_model, item) for item in data[name]]
        model.model_validate(prepared)
        self._remember(digest, True)

    def element(self, model: type, data: dict):
        """The validated model instance of an element (validated once per distinct content)."""
        digest = self._digest(model, data)
        found = self._recall(digest)
        if found is None:
            found = model.model_validate(data)
            self._remember(digest, found)
        return found


VALIDATED = ValidatedContent(size=20_000)
