"""gunicorn's logger with manage tokens masked in the access log (gunicorn.conf.py `logger_class`).

The access log format carries the path only (`%(U)s`, no query string, no referrer); the booking
manage links have their token in the path, which this logger masks (core.url_secrets)."""

from __future__ import annotations

from gunicorn.glogging import Logger

from core.url_secrets import mask_url_secrets


class MaskedAccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r", "q", "f", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = mask_url_secrets(atoms[key])
        return atoms
