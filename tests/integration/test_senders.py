"""The SNS, SES and Secrets Manager adapters against moto in process.

What moto does, and so what these tests pin down:

- SNS publish to a phone number keeps the SMS in `sms_messages`. moto, like
  SNS, accepts a publish to an opted-out number (any number ending in 99)
  without an error; only `CheckIfPhoneNumberIsOptedOut` tells. The sender
  asks first, so an opted-out number is a permanent failure.
- A phone number that is not E.164 is an `InvalidParameter` (400): permanent.
- SES refuses an unverified sender with `MessageRejected` (400) and an
  invalid recipient with `InvalidParameterValue` (400): both permanent.
"""

from __future__ import annotations

import uuid

import pytest

from chalicelib.adapters.mail import SesMailSender
from chalicelib.adapters.secrets import SecretsManagerApiKey
from chalicelib.adapters.sms import HttpGatewaySmsSender, SnsSmsSender
from chalicelib.domain.errors import DeliveryFailed
from chalicelib.services.ports import Delivery
from devstack.sms_gateway import FakeSmsGateway
from tests.integration.senders_fixtures import MotoAws, moto_aws

pytestmark = pytest.mark.integration

__all__ = ["moto_aws"]  # the fixture, imported for the tests below

TURKISH_MOBILE = "+905321234567"
OPTED_OUT_MOBILE = "+905321234599"  # moto: a number ending in 99 has opted out
TURKISH_TEXT = "Şikâyetiniz ZNVZ-BJ1C-JAHZ-F0 koduyla alındı. İlgili birim 5 iş günü içinde yanıt verecek."
PERSIAN_TEXT = "شکایت شما با کد ZNVZ-BJ1C-JAHZ-F0 ثبت شد."


def unique_address(local: str) -> str:
    return f"{local}-{uuid.uuid4().hex[:8]}@example.com"


# --------------------------------------------------------------------------
# SNS
# --------------------------------------------------------------------------


def test_an_sms_published_through_sns_arrives_with_its_text_intact(moto_aws: MotoAws) -> None:
    delivery = SnsSmsSender(moto_aws.client("sns"), sender_id="SIGORTA").send_sms(
        TURKISH_MOBILE, TURKISH_TEXT
    )

    assert (delivery.channel, delivery.provider) == ("sms", "sns")
    assert moto_aws.sms_messages[delivery.message_id] == (TURKISH_MOBILE, TURKISH_TEXT)


def test_an_opted_out_number_is_a_permanent_failure_and_nothing_is_published(moto_aws: MotoAws) -> None:
    before = len(moto_aws.sms_messages)

    with pytest.raises(DeliveryFailed, match="opted out") as failed:
        SnsSmsSender(moto_aws.client("sns")).send_sms(OPTED_OUT_MOBILE, TURKISH_TEXT)

    assert failed.value.permanent is True
    assert len(moto_aws.sms_messages) == before


def test_moto_itself_accepts_a_publish_to_an_opted_out_number(moto_aws: MotoAws) -> None:
    # Why the sender checks first: the publish alone would "succeed".
    unchecked = SnsSmsSender(moto_aws.client("sns"), check_opt_out=False)
    delivery = unchecked.send_sms(OPTED_OUT_MOBILE, TURKISH_TEXT)
    assert moto_aws.sms_messages[delivery.message_id] == (OPTED_OUT_MOBILE, TURKISH_TEXT)


def test_a_number_sns_cannot_parse_is_a_permanent_failure(moto_aws: MotoAws) -> None:
    with pytest.raises(DeliveryFailed, match="InvalidParameter") as failed:
        SnsSmsSender(moto_aws.client("sns"), check_opt_out=False).send_sms("0532 123 45 67", TURKISH_TEXT)
    assert failed.value.permanent is True
    assert "0532" not in str(failed.value)


# --------------------------------------------------------------------------
# SES
# --------------------------------------------------------------------------


def test_mail_from_an_unverified_sender_is_a_permanent_failure(moto_aws: MotoAws) -> None:
    sender = SesMailSender(moto_aws.client("ses"), unique_address("unverified"))

    with pytest.raises(DeliveryFailed, match="MessageRejected") as failed:
        sender.send_mail("ayse@example.com", "Şikâyetiniz alındı", TURKISH_TEXT)

    assert failed.value.permanent is True
    assert "ayse@example.com" not in str(failed.value)


def test_mail_from_a_verified_sender_is_sent_with_its_subject_and_body_intact(moto_aws: MotoAws) -> None:
    ses = moto_aws.client("ses")
    source = unique_address("complaints")
    ses.verify_email_identity(EmailAddress=source)

    delivery = SesMailSender(ses, source).send_mail("ayse@example.com", "Şikâyetiniz alındı", TURKISH_TEXT)

    assert (delivery.channel, delivery.provider) == ("email", "ses")
    sent = moto_aws.sent_mail(delivery.message_id)
    assert (sent.source, sent.subject, sent.body) == (source, "Şikâyetiniz alındı", TURKISH_TEXT)
    assert sent.destinations["ToAddresses"] == ["ayse@example.com"]


def test_mail_to_an_invalid_address_is_a_permanent_failure(moto_aws: MotoAws) -> None:
    ses = moto_aws.client("ses")
    source = unique_address("complaints")
    ses.verify_email_identity(EmailAddress=source)

    with pytest.raises(DeliveryFailed) as failed:
        SesMailSender(ses, source).send_mail("not an address", "subject", "body")

    assert failed.value.permanent is True


# --------------------------------------------------------------------------
# Secrets Manager
# --------------------------------------------------------------------------


def test_the_api_key_is_read_from_secrets_manager_once(moto_aws: MotoAws) -> None:
    secrets = moto_aws.client("secretsmanager")
    arn = secrets.create_secret(Name=f"sms-gateway-{uuid.uuid4().hex}", SecretString="first-key")["ARN"]
    key = SecretsManagerApiKey(secrets, arn)

    assert key() == "first-key"
    secrets.put_secret_value(SecretId=arn, SecretString="second-key")
    assert key() == "first-key"  # kept for the container's life

    secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


def test_a_missing_secret_is_a_transient_failure(moto_aws: MotoAws) -> None:
    arn = f"arn:aws:secretsmanager:{moto_aws.region}:123456789012:secret:absent-AbCdEf"
    with pytest.raises(DeliveryFailed, match="ResourceNotFoundException") as failed:
        SecretsManagerApiKey(moto_aws.client("secretsmanager"), arn)()
    assert failed.value.permanent is False


def test_an_iranian_sms_goes_to_the_gateway_with_the_key_kept_in_secrets_manager(moto_aws: MotoAws) -> None:
    secrets = moto_aws.client("secretsmanager")
    arn = secrets.create_secret(Name=f"sms-gateway-{uuid.uuid4().hex}", SecretString="gateway-key")["ARN"]

    with FakeSmsGateway("gateway-key") as gateway:
        delivery = HttpGatewaySmsSender(gateway.url, SecretsManagerApiKey(secrets, arn)).send_sms(
            "+989121234567", PERSIAN_TEXT
        )
        (message,) = gateway.messages

    assert delivery == Delivery("sms", "http-gateway", message["message_id"])
    assert message["text"] == PERSIAN_TEXT
    secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
