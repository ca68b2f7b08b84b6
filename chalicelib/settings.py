"""Configuration, read once per Lambda container from the environment.

Every name here is set by `infra/functions.yaml` from a resource of
`infra/template.yaml` on AWS, and by the local stack from the same template
deployed into the embedded emulator. Nothing is hard-coded.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.domain.errors import ConfigurationError

#: Environment variable -> what it names. The template overlay and the local
#: stack must set every one of them.
ENVIRONMENT: dict[str, str] = {
    "COMPLAINTS_TABLE": "DynamoDB table of complaints (key: tracking code)",
    "COMPLAINTS_STREAM_ARN": "stream of the complaints table",
    "HISTORY_TABLE": "DynamoDB table of append-only history events",
    "CAPA_TABLE": "DynamoDB table of corrective and preventive actions",
    "IDEMPOTENCY_TABLE": "DynamoDB table of idempotency keys (with TTL)",
    "ROUTING_QUEUE_URL": "SQS queue that carries new complaints to the router",
    "ROUTING_QUEUE_NAME": "name of that queue (Chalice reads it at import)",
    "ROUTING_DLQ_URL": "dead-letter queue of the routing queue",
    "STREAM_FAILURE_QUEUE_URL": "on-failure destination of the stream mapping",
    "STREAM_FAILURE_QUEUE_NAME": "name of that queue (Chalice reads it at import)",
    "DEPARTMENT_TOPIC_ARN": "SNS topic that notifies departments",
    "SUPERVISOR_TOPIC_ARN": "SNS topic that alerts supervisors",
    "REPORT_BUCKET": "S3 bucket for reports",
    "REPORT_QUEUE_URL": "SQS queue of reports asked for on demand",
    "REPORT_QUEUE_NAME": "name of that queue (Chalice reads it at import)",
    "DATA_KEY_ARN": "KMS key that encrypts the data at rest",
    "USER_POOL_ID": "Cognito user pool of staff",
    "USER_POOL_CLIENT_ID": "Cognito app client of the staff console",
    "SMS_GATEWAY_URL": "HTTP SMS gateway for destinations SNS cannot reach (Iran)",
    "SMS_GATEWAY_SECRET_ARN": "Secrets Manager secret holding that gateway's API key",
    "MAIL_FROM": "verified SES sender address of acknowledgements",
    "LOOKUP_KEY_SECRET_ARN": "Secrets Manager secret holding the HMAC key of the contact lookup indexes",
}

_OPTIONAL_DEFAULTS: dict[str, str] = {
    "STAGE": "dev",
    "LOG_LEVEL": "INFO",
    "IDEMPOTENCY_TTL_HOURS": "24",
    "MAX_BODY_BYTES": "65536",
    "DAY_SHARDS": "8",
    "SMS_ROUTES": "98=http",
    "SMS_SENDER_ID": "",
    "REOPEN_WINDOW_DAYS": "30",
    "ESCALATION_CHAIN": "department_supervisor,head_of_complaints",
    "ESCALATION_THRESHOLDS": "0.8,1.0",
    "PUBLIC_BASE_URL": "",
    "DASHBOARD_CACHE_SECONDS": "10",
    "CONSOLE_SESSION_HOURS": "12",
    "REPORT_LINK_SECONDS": "300",
    "REPORT_WORKERS": "8",
}


@dataclass(frozen=True)
class Settings:
    """Names of the resources and the knobs the functions run with."""

    complaints_table: str
    complaints_stream_arn: str
    history_table: str
    capa_table: str
    idempotency_table: str
    routing_queue_url: str
    routing_queue_name: str
    routing_dlq_url: str
    stream_failure_queue_url: str
    stream_failure_queue_name: str
    department_topic_arn: str
    supervisor_topic_arn: str
    report_bucket: str
    report_queue_url: str
    report_queue_name: str
    data_key_arn: str
    user_pool_id: str
    user_pool_client_id: str
    sms_gateway_url: str
    sms_gateway_secret_arn: str
    mail_from: str
    lookup_key_secret_arn: str
    region: str = "us-east-1"
    stage: str = "dev"
    log_level: str = "INFO"
    idempotency_ttl_hours: int = 24
    max_body_bytes: int = 65536
    day_shards: int = 8
    #: Destinations by country calling code that go to the HTTP gateway ("98=http");
    #: every other destination goes to SNS.
    sms_routes: str = "98=http"
    sms_sender_id: str = ""
    #: Days after closing during which a supervisor may reopen a complaint on appeal.
    reopen_window_days: int = 30
    #: Who is told at each escalation level, and the share of the response
    #: time used at which each level is reached (1.0 = overdue).
    escalation_chain: tuple[str, ...] = ("department_supervisor", "head_of_complaints")
    escalation_thresholds: tuple[float, ...] = (0.8, 1.0)
    #: Base URL of the public pages, for links in e-mails and non-Turkish SMS ("" = no links).
    public_base_url: str = ""
    #: How long one container reuses a market's dashboard reads (0: read on every request).
    dashboard_cache_seconds: int = 10
    console_session_hours: int = 12
    #: How long a report download link works, in seconds.
    report_link_seconds: int = 300
    #: Day-index partitions a report reads at once.
    report_workers: int = 8

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and check the settings; a missing name fails the cold start."""
        env = os.environ if environ is None else environ
        missing = sorted(name for name in ENVIRONMENT if not env.get(name))
        if missing:
            raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
        values = {name.lower(): env[name] for name in ENVIRONMENT}
        optional = {name: env.get(name) or default for name, default in _OPTIONAL_DEFAULTS.items()}
        try:
            return cls(
                **values,
                region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
                stage=optional["STAGE"],
                log_level=optional["LOG_LEVEL"],
                idempotency_ttl_hours=int(optional["IDEMPOTENCY_TTL_HOURS"]),
                max_body_bytes=int(optional["MAX_BODY_BYTES"]),
                day_shards=int(optional["DAY_SHARDS"]),
                sms_routes=optional["SMS_ROUTES"],
                sms_sender_id=optional["SMS_SENDER_ID"],
                reopen_window_days=int(optional["REOPEN_WINDOW_DAYS"]),
                escalation_chain=_names(optional["ESCALATION_CHAIN"]),
                escalation_thresholds=_thresholds(optional["ESCALATION_THRESHOLDS"]),
                public_base_url=optional["PUBLIC_BASE_URL"].rstrip("/"),
                dashboard_cache_seconds=int(optional["DASHBOARD_CACHE_SECONDS"]),
                console_session_hours=_bounded(
                    optional["CONSOLE_SESSION_HOURS"], "CONSOLE_SESSION_HOURS", 1, 12
                ),
                report_link_seconds=_bounded(optional["REPORT_LINK_SECONDS"], "REPORT_LINK_SECONDS", 1, 3600),
                report_workers=_bounded(optional["REPORT_WORKERS"], "REPORT_WORKERS", 1, 64),
            )
        except ValueError as exc:
            raise ConfigurationError(f"a numeric setting is not a number: {exc}") from exc


def _bounded(text: str, name: str, low: int, high: int) -> int:
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}, got {value}")
    return value


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _thresholds(text: str) -> tuple[float, ...]:
    """Escalation thresholds: rising shares of the response time, each above 0."""
    values = tuple(float(part) for part in text.split(",") if part.strip())
    if not values or any(v <= 0 for v in values) or list(values) != sorted(set(values)):
        raise ValueError(f"ESCALATION_THRESHOLDS must be rising positive numbers, got {text!r}")
    return values
