// Service Bus: the game-events topic the titles publish to, and the community's subscription.
//
// - Duplicate detection on the topic (10 min window): a title that retries a send with the same
//   message id is stored once; the community's inbox keys on the CloudEvents id anyway.
// - Lock duration 60 s: a receive group of up to 1,024 events is recorded in well under a
//   second, and the consumer settles each group at once; 60 s leaves room for a database stall
//   without redelivering messages that are still being worked on (docs/events.md).
// - Max delivery count 10: a message that failed ten deliveries is dead-lettered with its
//   reason, where operators see it (events_status, the admin) and replay it after a fix.
// - The subscription's filter is its $Default rule (every title's events; the consumer checks
//   the source against SERVICEBUS_SOURCE_TITLES).
param name string
param location string
param tags object
param workspaceId string
param skuName string
param receiverPrincipalId string
param titleSenders array

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: 'sb-${name}'
  location: location
  tags: tags
  sku: { name: skuName, tier: skuName, capacity: skuName == 'Premium' ? 1 : 0 }
  properties: {
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    // Titles publish with Send-only SAS rules (below); the community listens with its identity.
    disableLocalAuth: false
    zoneRedundant: skuName == 'Premium'
  }
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2022-10-01-preview' = {
  parent: namespace
  name: 'game-events'
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    defaultMessageTimeToLive: 'P7D'
    maxSizeInMegabytes: 5120
    enableBatchedOperations: true
    supportOrdering: false
  }
}

resource subscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2022-10-01-preview' = {
  parent: topic
  name: 'community'
  properties: {
    lockDuration: 'PT1M'
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: true
    deadLetteringOnFilterEvaluationExceptions: true
    enableBatchedOperations: true
    requiresSession: false
  }
}

resource defaultRule 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2022-10-01-preview' = {
  parent: subscription
  name: '$Default'
  properties: {
    filterType: 'SqlFilter'
    sqlFilter: { sqlExpression: '1=1' }
  }
}

// One Send-only rule per title: a compromised game server can publish, never read or manage.
resource senders 'Microsoft.ServiceBus/namespaces/topics/authorizationRules@2022-10-01-preview' = [
  for title in titleSenders: {
    parent: topic
    name: 'send-${title}'
    properties: { rights: [ 'Send' ] }
  }
]

var receiverRole = subscriptionResourceId(
  'Microsoft.Authorization/roleDefinitions', '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0')

resource receive 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription.id, receiverPrincipalId, receiverRole)
  scope: subscription
  properties: {
    roleDefinitionId: receiverRole
    principalId: receiverPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: namespace
  properties: {
    workspaceId: workspaceId
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
    metrics: [ { category: 'AllMetrics', enabled: true } ]
  }
}

output namespaceName string = namespace.name
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
output topicName string = topic.name
output subscriptionName string = subscription.name
