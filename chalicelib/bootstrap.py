"""The composition root: builds each adapter once per Lambda container, lazily.

A function pays at cold start only for what it uses: the settings are read on
first use, and PynamoDB (with botocore) is imported only when a request first
needs the repository. Tests install a container of fakes with `install`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.settings import Settings

if TYPE_CHECKING:
    from chalicelib.adapters.capa import DynamoCapaRegister
    from chalicelib.adapters.identity import CognitoTokenVerifier
    from chalicelib.adapters.sign_in import CognitoPasswordSignIn
    from chalicelib.adapters.tables import Tables
    from chalicelib.domain.policy import Market
    from chalicelib.services.dispatch import Dispatcher
    from chalicelib.services.period_reports import PeriodReports
    from chalicelib.services.ports import (
        Clock,
        CodeSource,
        ComplaintRepository,
        DashboardSource,
        MailSender,
        ReportRequests,
        ReportSource,
        ReportStore,
        RoutingQueue,
        SmsSender,
        StreamReader,
        TopicPublisher,
    )


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class Container:
    """The adapters of one deployment, each built on first use."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    @cached_property
    def settings(self) -> Settings:
        return self._settings or Settings.from_environ()

    @cached_property
    def tables(self) -> Tables:
        from chalicelib.adapters.tables import bind_tables

        s = self.settings
        return bind_tables(s.complaints_table, s.history_table, s.idempotency_table, s.region)

    @cached_property
    def repository(self) -> ComplaintRepository:
        from pynamodb.connection import Connection

        from chalicelib.adapters import tables as t
        from chalicelib.adapters.repository import DynamoComplaintRepository

        s = self.settings
        connection = Connection(
            region=s.region,
            connect_timeout_seconds=t.CONNECT_TIMEOUT,
            read_timeout_seconds=t.READ_TIMEOUT,
            max_retry_attempts=t.ATTEMPTS,
        )
        return DynamoComplaintRepository(self.tables, connection, s.day_shards, lookup_key=self.lookup_key)

    @cached_property
    def report_source(self) -> ReportSource:
        from chalicelib.adapters.report_source import DynamoReportSource

        return DynamoReportSource(self.tables, self.settings.day_shards)

    @cached_property
    def report_store(self) -> ReportStore:
        """The report bucket, through a client that signs links with SigV4 (SSE-KMS objects need it)."""
        from botocore.config import Config  # type: ignore[import-untyped]

        from chalicelib.adapters.report_files import S3ReportStore

        config = Config(
            signature_version="s3v4",
            connect_timeout=2,
            read_timeout=30,
            retries={"mode": "standard", "max_attempts": 3},
        )
        s = self.settings
        return S3ReportStore(self.aws.client("s3", config=config), s.report_bucket, kms_key_id=s.data_key_arn)

    @cached_property
    def period_reports(self) -> PeriodReports:
        from chalicelib.services.period_reports import PeriodReports

        return PeriodReports(
            self.report_source,
            self.report_store,
            self.clock,
            capa=self.capa,
            backlog=self._backlog,
            workers=self.settings.report_workers,
        )

    def _backlog(self, market: Market, now: datetime) -> dict[str, Any]:
        """A market's open complaints now, by age, from the queues' index (the dashboard's reading)."""
        from chalicelib.domain.dashboard import backlog, today

        return backlog(self.dashboard_source.read(market, today(market, now)).open, now)

    @cached_property
    def report_requests(self) -> ReportRequests:
        from chalicelib.adapters.queue import SqsReportRequests

        return SqsReportRequests(self.client("sqs"), self.settings.report_queue_url)

    def lookup_key(self) -> bytes:
        """The HMAC key of the contact indexes, from Secrets Manager, read once per container."""
        return str(self._lookup_secret()).encode("utf-8")

    @cached_property
    def _lookup_secret(self) -> Any:
        from chalicelib.adapters.secrets import SecretsManagerApiKey

        return SecretsManagerApiKey(self.client("secretsmanager"), self.settings.lookup_key_secret_arn)

    @cached_property
    def identity(self) -> CognitoTokenVerifier:
        """Verifies staff ID tokens against the user pool's keys (fetched on first use)."""
        from chalicelib.adapters.identity import CognitoTokenVerifier

        s = self.settings
        return CognitoTokenVerifier(s.region, s.user_pool_id, s.user_pool_client_id)

    @cached_property
    def sign_in(self) -> CognitoPasswordSignIn:
        """Staff sign-in with a username and password, through the user pool's console client."""
        from chalicelib.adapters.sign_in import CognitoPasswordSignIn

        return CognitoPasswordSignIn(self.client("cognito-idp"), self.settings.user_pool_client_id)

    @cached_property
    def console_key(self) -> bytes:
        """The key of the staff console's form tokens (CSRF), derived from the contact-lookup key.

        HMAC under a label of its own: a value of this key says nothing about the
        lookup key, and no new secret has to be provisioned or rotated.
        """
        import hashlib
        import hmac

        return hmac.new(self.lookup_key(), b"complaintdesk/console/form-token/v1", hashlib.sha256).digest()

    @cached_property
    def capa(self) -> DynamoCapaRegister:
        from chalicelib.adapters.capa import DynamoCapaRegister

        return DynamoCapaRegister(self.settings.capa_table, self.settings.region)

    @cached_property
    def dashboard_source(self) -> DashboardSource:
        """The dashboard's index reads, kept for DASHBOARD_CACHE_SECONDS and shared by every viewer."""
        from chalicelib.adapters.dashboard import DynamoDashboardSource
        from chalicelib.services.dashboard import CachedDashboardSource

        s = self.settings
        source = DynamoDashboardSource(self.tables, self.clock, s.day_shards)
        return CachedDashboardSource(source, s.dashboard_cache_seconds)

    @cached_property
    def aws(self) -> Any:
        """One boto3 session for every client of this container."""
        import boto3  # type: ignore[import-untyped]

        return boto3.session.Session(region_name=self.settings.region)

    def client(self, service: str) -> Any:
        """A client that gives up in seconds, not minutes: a batch has 30 s for all its records."""
        from botocore.config import Config

        config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})
        return self.aws.client(service, config=config)

    @cached_property
    def sms(self) -> SmsSender:
        """SNS, except for the destinations routed to the HTTP gateway (Iran: SNS cannot reach it)."""
        from chalicelib.adapters.secrets import SecretsManagerApiKey
        from chalicelib.adapters.sms import HttpGatewaySmsSender, SmsRouter, SnsSmsSender, parse_routes

        s = self.settings
        sns = SnsSmsSender(self.client("sns"), s.sms_sender_id)
        # re-read every 5 minutes, so that a key set after deploying reaches running containers
        api_key = SecretsManagerApiKey(self.client("secretsmanager"), s.sms_gateway_secret_arn, max_age=300)
        gateway = HttpGatewaySmsSender(s.sms_gateway_url, api_key, sender_id=s.sms_sender_id)
        senders: dict[str, SmsSender] = {"sns": sns, "http": gateway}
        routes = {code: senders[name] for code, name in parse_routes(s.sms_routes).items()}
        return SmsRouter(routes, default=sns)

    @cached_property
    def mail(self) -> MailSender:
        from chalicelib.adapters.mail import SesMailSender

        return SesMailSender(self.client("ses"), self.settings.mail_from)

    @cached_property
    def topics(self) -> TopicPublisher:
        from chalicelib.adapters.topics import SnsTopics

        s = self.settings
        return SnsTopics(self.client("sns"), s.department_topic_arn, s.supervisor_topic_arn)

    @cached_property
    def routing_queue(self) -> RoutingQueue:
        from chalicelib.adapters.queue import SqsRoutingQueue

        return SqsRoutingQueue(self.client("sqs"), self.settings.routing_queue_url)

    @cached_property
    def stream_reader(self) -> StreamReader:
        from chalicelib.adapters.stream import DynamoStreamReader

        return DynamoStreamReader(self.client("dynamodbstreams"))

    @cached_property
    def dispatcher(self) -> Dispatcher:
        from chalicelib.services.dispatch import Dispatcher

        s = self.settings
        return Dispatcher(
            self.repository,
            self.sms,
            self.mail,
            self.topics,
            self.clock,
            public_base_url=s.public_base_url,
            escalation_chain=s.escalation_chain,
        )

    @cached_property
    def clock(self) -> Clock:
        return SystemClock()

    @cached_property
    def new_code(self) -> CodeSource:
        from chalicelib.domain.tracking import new_tracking_code

        return new_tracking_code


_container: Container | None = None


def container() -> Container:
    """The container of this Lambda container (built on first call)."""
    global _container
    if _container is None:
        _container = Container()
    return _container


def install(replacement: Container | None) -> None:
    """Use another container (tests); None goes back to building from the environment."""
    global _container
    _container = replacement
