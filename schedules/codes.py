"""Booking codes and manage tokens.

Codes are 8 characters from a 32-letter alphabet without 0/O/1/I (40 random bits: easy to read out
over the phone, hard to guess). Manage tokens are 192 random bits; only their SHA-256 is stored and
checks compare digests in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.core import signing

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str | None:
    """What a citizen or a scanner typed → a code, or None. Case, spaces and dashes are ignored;
    a character outside the alphabet (0, O, 1, I…) makes it invalid rather than guessed."""
    value = re.sub(r"[\s-]", "", raw or "").upper()
    return value if _CODE_RE.match(value) else None


# A walk-in's ticket has no booking code: its QR holds the session and the number ("S12-007").
_WALK_IN_QR_RE = re.compile(r"^S([0-9]{1,9})-([0-9]{1,5})$")


def walk_in_qr_text(session_id: int, number: int) -> str:
    return f"S{session_id}-{number:03d}"


def walk_in_qr_parse(raw: str) -> tuple[int, int] | None:
    """(session id, queue number) of a walk-in ticket's QR text, or None for anything else."""
    match = _WALK_IN_QR_RE.match(raw.strip().upper())
    return (int(match.group(1)), int(match.group(2))) if match else None


def new_manage_token() -> str:
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str | None, stored_hash: str) -> bool:
    if not token or len(token) > 128:
        return False
    return hmac.compare_digest(token_hash(token), stored_hash)


# A manage link sent again ("find my booking") carries a signed, expiring token instead of the
# manage token, which is not stored and so cannot be sent again. It names the booking's code and
# the hash of its manage token, so it works only for that booking.
_LINK_SALT = "schedules.manage-link"


def manage_link_token(*, code: str, stored_hash: str) -> str:
    return signing.dumps([code, stored_hash[:16]], salt=_LINK_SALT, compress=True)


def manage_link_matches(token: str | None, *, code: str, stored_hash: str, max_age: int) -> bool:
    if not token or len(token) > 128 or ":" not in token:
        return False
    try:
        value = signing.loads(token, salt=_LINK_SALT, max_age=max_age)
    except signing.BadSignature:
        return False
    return value == [code, stored_hash[:16]]
