"""An HTTP answer reduced to what the differential test compares: status, `data`, and each
error's message, path and locations (codes and other `extensions` are ours alone)."""

import json
from dataclasses import dataclass, replace
from typing import Any

import httpx

Error = tuple[str, Any, Any]  # message, path, locations
ABSENT = "<absent>"


@dataclass(frozen=True)
class Answer:
    status: int
    data: Any = ABSENT  # ABSENT: no "data" entry (or no JSON at all)
    errors: tuple[Error, ...] = ()
    text: str | None = None  # a body that is no JSON object, as Strawberry answers HTTP errors

    @classmethod
    def of(cls, response: httpx.Response) -> "Answer":
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return cls(response.status_code, text=response.text)
        errors = tuple(
            (error.get("message"), error.get("path"), error.get("locations")) for error in body.get("errors") or ()
        )
        return cls(response.status_code, data=body.get("data", ABSENT), errors=errors)

    @property
    def messages(self) -> list[str]:
        return [message for message, _, _ in self.errors]

    def with_(self, **changes: Any) -> "Answer":
        return replace(self, **changes)
