"""The Azure templates parse, and every resource has what docs/deploy-azure.md promises:
TLS only, a private blob container, diagnostics to Log Analytics, duplicate detection, the
$Default filter, managed identities instead of keys, one beat, the scalers and the /ws/ route."""

import json

import pytest
import tree_sitter
import tree_sitter_bicep

from tests.infra.support import AZURE, bicep, bicep_files, resources_of_type

# Resource types that emit logs or metrics: each needs a diagnostic setting scoped to it.
DIAGNOSED = {
    "Microsoft.KeyVault/vaults",
    "Microsoft.DBforPostgreSQL/flexibleServers",
    "Microsoft.Cache/redisEnterprise",
    "Microsoft.ServiceBus/namespaces",
    "Microsoft.Storage/storageAccounts/blobServices",
}
CONTAINER_APPS = {"web", "asgi", "worker", "beat", "events"}


def _syntax_errors(source: bytes) -> list[str]:
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))
    errors, pending = [], [parser.parse(source).root_node]
    while pending:
        node = pending.pop()
        if node.type == "ERROR" or node.is_missing:
            errors.append(f"line {node.start_point[0] + 1}: {node.text[:60]!r}")
        pending.extend(node.children)
    return errors


@pytest.mark.parametrize("path", bicep_files(), ids=lambda path: path.name)
def test_every_template_parses_without_a_syntax_error(path):
    assert _syntax_errors(path.read_bytes()) == []


def test_the_parser_sees_a_syntax_error():
    assert _syntax_errors(b"resource x 'A/b@2020-01-01' = {\n  name: \n") != []


def test_every_service_that_logs_sends_its_diagnostics_to_log_analytics():
    diagnosed = set()
    for path in bicep_files():
        template = bicep(str(path.relative_to(AZURE)))
        resources = template.get("resources", {})
        for resource in resources.values():
            if resource["type"] == "Microsoft.Insights/diagnosticSettings":
                assert resource["config"]["properties"]["workspaceId"] == "workspaceId"
                diagnosed.add(resources[resource["config"]["scope"]]["type"])
    assert diagnosed == DIAGNOSED


def test_tls_1_2_or_later_everywhere():
    ((_, storage),) = resources_of_type("Microsoft.Storage/storageAccounts")
    assert storage["config"]["properties"]["minimumTlsVersion"] == "TLS1_2"
    assert storage["config"]["properties"]["supportsHttpsTrafficOnly"] is True
    ((_, namespace),) = resources_of_type("Microsoft.ServiceBus/namespaces")
    assert namespace["config"]["properties"]["minimumTlsVersion"] == "1.2"
    ((_, redis),) = resources_of_type("Microsoft.Cache/redisEnterprise")
    assert redis["config"]["properties"]["minimumTlsVersion"] == "1.2"
    ((_, database),) = resources_of_type("Microsoft.Cache/redisEnterprise/databases")
    assert database["config"]["properties"]["clientProtocol"] == "Encrypted"
    postgres = bicep("modules/postgres.bicep")
    server_parameters = postgres["variables"]["serverParameters"]["value"]
    assert server_parameters["require_secure_transport"] == "on"
    assert server_parameters["ssl_min_protocol_version"] == "TLSv1.2"


def test_ugc_blobs_are_private_and_reached_with_the_identity_not_keys():
    ((_, storage),) = resources_of_type("Microsoft.Storage/storageAccounts")
    assert storage["config"]["properties"]["allowBlobPublicAccess"] is False
    assert storage["config"]["properties"]["allowSharedKeyAccess"] is False
    ((_, container),) = resources_of_type(
        "Microsoft.Storage/storageAccounts/blobServices/containers"
    )
    assert container["config"]["properties"]["publicAccess"] == "None"


def test_game_events_topic_detects_duplicates_and_the_subscription_filters_with_default():
    ((_, topic),) = resources_of_type("Microsoft.ServiceBus/namespaces/topics")
    assert topic["config"]["properties"]["requiresDuplicateDetection"] is True
    ((_, subscription),) = resources_of_type("Microsoft.ServiceBus/namespaces/topics/subscriptions")
    assert subscription["config"]["properties"]["maxDeliveryCount"] == 10
    assert subscription["config"]["properties"]["lockDuration"] == "PT1M"
    assert subscription["config"]["properties"]["deadLetteringOnMessageExpiration"] is True
    rules = resources_of_type("Microsoft.ServiceBus/namespaces/topics/subscriptions/rules")
    assert [rule["config"]["name"] for _, rule in rules] == ["$Default"]
    senders = bicep("modules/servicebus.bicep")["resources"]["senders"]
    assert senders["config"]["loop_type"]["detail"]["array_name"] == "titleSenders"
    assert senders["config"]["config"]["properties"]["rights"] == ["Send"]


def test_redis_is_not_clustered_so_multi_key_scripts_work():
    ((_, database),) = resources_of_type("Microsoft.Cache/redisEnterprise/databases")
    assert database["config"]["properties"]["clusteringPolicy"] == "NoCluster"
    assert database["config"]["properties"]["evictionPolicy"] == "NoEviction"


def _apps() -> dict[str, dict]:
    resources = bicep("modules/containerapps.bicep")["resources"]
    return {
        resource["config"]["name"]: resource
        for resource in resources.values()
        if resource["type"] == "Microsoft.App/containerApps"
    }


def test_the_five_processes_run_as_the_managed_identity_with_secrets_from_key_vault():
    apps = _apps()
    assert set(apps) == CONTAINER_APPS
    variables = bicep("modules/containerapps.bicep")["variables"]
    for app in apps.values():
        assert app["config"]["identity"]["type"] == "UserAssigned"
        assert app["config"]["properties"]["configuration"]["secrets"] == "secrets"
    for secret in variables["secrets"]["value"]:
        assert set(secret) == {"name", "keyVaultUrl", "identity"}
    environment = {entry["name"]: entry for entry in variables["commonEnv"]["value"]}
    for name in ("DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        assert "secretRef" in environment[name] and "value" not in environment[name]
    assert "SERVICEBUS_CONNECTION_STRING" not in environment
    assert "SERVICEBUS_FULLY_QUALIFIED_NAMESPACE" in environment


def test_one_beat_and_the_scalers_that_follow_each_backlog():
    apps = _apps()
    beat_scale = apps["beat"]["config"]["properties"]["template"]["scale"]
    assert (beat_scale["minReplicas"], beat_scale["maxReplicas"]) == (1, 1)
    worker_rule = apps["worker"]["config"]["properties"]["template"]["scale"]["rules"][0]
    assert worker_rule["custom"]["type"] == "redis"
    assert worker_rule["custom"]["metadata"]["listName"] == "celery"
    events_rule = apps["events"]["config"]["properties"]["template"]["scale"]["rules"][0]
    assert events_rule["custom"]["type"] == "azure-servicebus"
    assert events_rule["custom"]["identity"] == "identityId"


def test_websockets_are_routed_to_daphne_and_the_rest_to_gunicorn():
    routes = bicep("modules/containerapps.bicep")["resources"]["routes"]
    targets = {
        rule["routes"][0]["match"]["prefix"]: _accessed(rule["targets"][0]["containerApp"])
        for rule in routes["config"]["properties"]["rules"]
    }
    assert targets == {"/ws/": "asgi", "/": "web"}


def _accessed(expression: dict) -> str:
    """``asgi`` of pycep's form of ``asgi.name``."""
    operands = expression["operator"]["operands"]
    assert operands["operand_2"] == "name"
    return operands["operand_1"]


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_parameter_files_set_every_required_parameter_and_no_unknown_one(environment):
    given = json.loads((AZURE / f"{environment}.parameters.json").read_text())["parameters"]
    declared = bicep("main.bicep")["parameters"]
    assert set(given) <= set(declared)
    required = {
        name for name, parameter in declared.items()
        if parameter.get("default") is None
        and not any(decorator["type"] == "secure" for decorator in parameter["decorators"])
    }  # fmt: skip
    assert required <= set(given)
    assert given["environmentName"]["value"] == environment


def test_telemetry_reaches_application_insights_with_the_identity_not_a_key():
    ((_, insights),) = resources_of_type("Microsoft.Insights/components")
    assert insights["config"]["properties"]["DisableLocalAuth"] is True
    monitoring = bicep("modules/monitoring.bicep")
    publisher = monitoring["resources"]["publishTelemetry"]["config"]
    assert publisher["scope"] == "insights"
    assert publisher["properties"]["principalId"] == "publisherPrincipalId"
    role = monitoring["variables"]["metricsPublisherRole"]["value"]
    assert "3913510d-42f4-4e42-8a64-420c390055eb" in json.dumps(role)  # Metrics Publisher
    main = bicep("main.bicep")["modules"]["monitoring"]["config"]["params"]
    assert '"principalId"' in json.dumps(main["publisherPrincipalId"])  # identity.outputs.…
    variables = bicep("modules/containerapps.bicep")["variables"]
    environment = {entry["name"]: entry for entry in variables["commonEnv"]["value"]}
    assert environment["APPLICATIONINSIGHTS_ENTRA_AUTH"]["value"] == "true"
    assert "APPLICATIONINSIGHTS_CONNECTION_STRING" in environment
