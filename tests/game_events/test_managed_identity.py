"""On Azure the consumer holds no key: the namespace's host name and a token credential (a
managed identity). Here the real SDK talks to the protocol-level broker with a token
credential that stands in for Microsoft Entra ID (the one part we cannot reach)."""

import json
import time
from typing import Any

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.servicebus import ServiceBusMessage

from apps.game_events.consumer import ConsumerConfig
from apps.game_events.operations import servicebus_lag

pytestmark = pytest.mark.servicebus


class EntraToken:
    """A TokenCredential as azure-identity's are: it hands out a bearer token (a JWT)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("eyJhbGciOiJub25lIn0.eyJhdWQiOiJzYiJ9.", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo("eyJhbGciOiJub25lIn0.eyJhdWQiOiJzYiJ9.", int(time.time()) + 3600)


def test_the_consumer_reads_the_subscription_with_a_token_credential_and_no_key(
    servicebus_broker, settings
):
    settings.SERVICEBUS_CONNECTION_STRING = ""
    settings.SERVICEBUS_FULLY_QUALIFIED_NAMESPACE = (
        f"{servicebus_broker.host}:{servicebus_broker.port}"
    )
    settings.SERVICEBUS_CREDENTIAL = f"{__name__}.EntraToken"
    settings.SERVICEBUS_USE_TLS = False  # the local broker speaks plain TCP; Azure never does
    config = ConsumerConfig.from_settings()

    with config.client() as client, client.get_topic_sender(config.topic) as sender:
        sender.send_messages(ServiceBusMessage(json.dumps({"id": "e-1"}), message_id="e-1"))
    lag = servicebus_lag(config)

    assert config.is_configured
    assert lag.waiting == 1
    token_types = {token_type for token_type, _audience in servicebus_broker.store.tokens_put}
    assert token_types == {"jwt"}  # a bearer token from the credential, never a SAS key


def test_without_a_connection_string_or_namespace_nothing_pretends_to_consume(settings):
    from django.core.management import CommandError, call_command

    settings.SERVICEBUS_CONNECTION_STRING = ""
    settings.SERVICEBUS_FULLY_QUALIFIED_NAMESPACE = ""

    assert not ConsumerConfig.from_settings().is_configured
    with pytest.raises(CommandError, match="SERVICEBUS_FULLY_QUALIFIED_NAMESPACE"):
        call_command("consume_events")
