"""The OpenAPI 3.1 description of /api/v1/ (written out: the routes are few and their shapes fixed)."""

from __future__ import annotations

from typing import Any

_STR = {"type": ["string", "null"]}
_INT = {"type": ["integer", "null"]}
INCIDENT_SUMMARY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "key": {"type": "string"},
        "category": _STR,
        "state": {"type": "string"},
        "priority": {"type": "string"},
        "assignee": _STR,
        "owner": _STR,
        "network_name": _STR,
        "first_seen": _STR,
        "last_seen": _STR,
        "reports": {"type": "integer"},
        "observations": {"type": "integer"},
    },
}
MESSAGE_SUMMARY: dict[str, Any] = {
    "type": "object",
    "properties": {
        k: _STR
        for k in (
            "sha256",
            "source",
            "source_id",
            "received_at",
            "from",
            "subject",
            "status",
            "status_reason",
            "failed_stage",
            "verdict",
            "category",
            "format",
            "pgp_status",
        )
    }
    | {"id": {"type": "integer"}, "size": {"type": "integer"}},
}
OUTBOX_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string"},
        "status": {"type": "string"},
        "to": {"type": "array", "items": {"type": "string"}},
        "subject": {"type": "string"},
        "message_id": {"type": "string"},
        "attempts": {"type": "integer"},
        "last_error": _STR,
        "incidents": {"type": "array", "items": {"type": "integer"}},
        "created_at": _STR,
        "sent_at": _STR,
    },
}
_QUEUE_PARAMS = [
    {"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
    for n in ("state", "category", "owner", "ip", "cidr", "forwarded_to", "sort", "page", "limit")
]
_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_ERR = {"description": "error", "content": {"application/json": {"schema": {"type": "object"}}}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


SCHEMA: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "abusebox desk API", "version": "1"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "IncidentSummary": INCIDENT_SUMMARY,
            "MessageSummary": MESSAGE_SUMMARY,
            "OutboxItem": OUTBOX_ITEM,
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/incidents": {
            "get": {
                "summary": "the incident queue (as `incidents list --json`)",
                "parameters": _QUEUE_PARAMS,
                "responses": {
                    "200": _json(
                        {"type": "array", "items": {"$ref": "#/components/schemas/IncidentSummary"}}
                    ),
                    "401": _ERR,
                },
            }
        },
        "/api/v1/incidents/{id}": {
            "get": {
                "summary": "one incident (as `incidents show --json`)",
                "parameters": _ID,
                "responses": {"200": _json({"type": "object"}), "401": _ERR, "404": _ERR},
            }
        },
        "/api/v1/incidents/{id}/state": {
            "post": {
                "summary": "change an incident's state (handler)",
                "parameters": _ID,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["state"],
                                "properties": {
                                    k: {"type": "string"}
                                    for k in (
                                        "state",
                                        "note",
                                        "reason",
                                        "cause",
                                        "recovery",
                                        "prevention",
                                        "lessons",
                                    )
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json({"type": "object"}),
                    "401": _ERR,
                    "403": _ERR,
                    "404": _ERR,
                    "409": _ERR,
                },
            }
        },
        "/api/v1/messages": {
            "get": {
                "summary": "stored messages, newest first (as `messages list --json`)",
                "parameters": [
                    {"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                    for n in ("verdict", "status", "limit")
                ],
                "responses": {
                    "200": _json({"type": "array", "items": {"$ref": "#/components/schemas/MessageSummary"}}),
                    "401": _ERR,
                },
            }
        },
        "/api/v1/outbox": {
            "get": {
                "summary": "outgoing mails, newest first (as `outbox list --json`)",
                "parameters": [
                    {"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                    for n in ("status", "kind", "limit")
                ],
                "responses": {
                    "200": _json({"type": "array", "items": {"$ref": "#/components/schemas/OutboxItem"}}),
                    "400": _ERR,
                    "401": _ERR,
                },
            }
        },
        "/api/v1/outbox/{id}/approve": {
            "post": {
                "summary": "approve a draft (or retry a failed mail) for sending (handler)",
                "parameters": _ID,
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/OutboxItem"}),
                    "401": _ERR,
                    "403": _ERR,
                    "404": _ERR,
                    "409": _ERR,
                },
            }
        },
    },
}
