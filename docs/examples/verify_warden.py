"""Verify a Warden webhook in Python 3 (standard library only).

Flask example:

    @app.post("/hooks/whatsapp")
    def whatsapp_hook():
        raw = request.get_data()  # the raw bytes, before any JSON parsing
        if not verify_warden(SECRET, request.headers.get("X-WA-Timestamp", ""), raw,
                             request.headers.get("X-WA-Signature", "")):
            abort(401)
        save_event(request.headers["X-WA-Request-ID"], raw)  # unique on request id
        return "", 200
"""
import calendar
import hashlib
import hmac
import re
import time


def verify_signature(secret: str, timestamp: str, raw_body: bytes, signature_header: str) -> bool:
    """True when an entry of X-WA-Signature equals HMAC-SHA256(secret, timestamp + "." + body)."""
    if not secret or not timestamp or not signature_header:
        return False
    expected = hmac.new(secret.encode("utf-8"), timestamp.encode("utf-8") + b"." + raw_body,
                        hashlib.sha256).hexdigest()
    ok = False
    for entry in re.split(r"[\s,]+", signature_header.strip()):
        if entry.startswith("sha256=") and hmac.compare_digest(entry[7:].lower(), expected):
            ok = True
    return ok


def is_fresh(timestamp: str, tolerance_seconds: int = 300) -> bool:
    """X-WA-Timestamp (RFC 3339 UTC, second precision) within tolerance_seconds of now."""
    try:
        sent = calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return False
    return abs(time.time() - sent) <= tolerance_seconds


def verify_warden(secret: str, timestamp: str, raw_body: bytes, signature_header: str) -> bool:
    return is_fresh(timestamp) and verify_signature(secret, timestamp, raw_body, signature_header)
