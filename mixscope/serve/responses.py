"""JSON bodies the planner can always send, whatever text a request smuggled into them."""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.responses import Response


def json_bytes(payload: Any) -> bytes:
    """orjson (fast; NumPy scalars as numbers, NaN as null), or ASCII-escaped JSON when the payload holds
    text UTF-8 cannot encode: a lone surrogate (``"\\ud800"``) from a request, quoted back in a refusal."""
    try:
        return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
    except orjson.JSONEncodeError:
        return json.dumps(payload, ensure_ascii=True, default=str).encode("ascii")


async def send_json(send: Any, status: int, payload: Any) -> None:
    """A complete JSON response through an ASGI ``send``."""
    body = json_bytes(payload)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def json_response(payload: Any, status: int = 200) -> Response:
    """``payload`` as a JSON response written by :func:`json_bytes`."""
    return Response(json_bytes(payload), status_code=status, media_type="application/json")
