"""Errors an alert request can meet; the partner API turns them into JSON with a status code."""

from __future__ import annotations


class AlertRequestError(Exception):
    """A refused request, with a stable machine code, a one-line message and an HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def invalid(code: str, message: str) -> AlertRequestError:
    return AlertRequestError(400, code, message)


def forbidden(code: str, message: str) -> AlertRequestError:
    return AlertRequestError(403, code, message)
