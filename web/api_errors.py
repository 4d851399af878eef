"""Errors of the machine-readable endpoints (JSON API, DCAT feed, sitemap): a status and a JSON body that
names the parameter at fault, never an HTML page."""

from __future__ import annotations

from flask import Response, jsonify


class BadParameter(Exception):
    """A request parameter a machine-readable endpoint cannot use; answered with ``status`` (400 by default)."""

    def __init__(self, parameter: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.status = status


def bad_parameter_response(error: BadParameter) -> tuple[Response, int]:
    response = jsonify({"error": {"parameter": error.parameter, "message": error.message}})
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response, error.status
