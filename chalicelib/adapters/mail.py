"""E-mail delivery through Amazon SES.

Rules:

- Plain text, UTF-8 subject and body, one recipient per message.
- The sender must be an identity verified in SES (`MAIL_FROM`). SES refuses
  mail from an unverified sender or to an invalid address with a 4xx
  (`MessageRejected`, `InvalidParameterValue`): a permanent `DeliveryFailed`.
  Throttling and a spent daily quota (`Throttling`) and 5xx are transient.
  The mapping is `chalicelib.adapters.sms.sdk_errors`, shared with SNS.
- Neither the address nor the text is put in an error message.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.sms import sdk_errors
from chalicelib.services.ports import Delivery


class SesMailSender:
    """Sends plain-text e-mail from one verified SES identity."""

    def __init__(self, ses_client: Any, sender: str) -> None:
        self._ses = ses_client
        self._sender = sender

    def send_mail(self, to: str, subject: str, body: str) -> Delivery:
        with sdk_errors("ses"):
            response = self._ses.send_email(
                Source=self._sender,
                Destination={"ToAddresses": [to]},
                Message={
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
                },
            )
        return Delivery("email", "ses", str(response["MessageId"]))
