// Azure Managed Redis: the channel layer, the cache and the Celery broker.
//
// Non-clustered policy (NoCluster): channels-redis runs Lua scripts over several keys of one
// group and Celery's kombu uses multi-key commands; a clustered policy would split those keys
// over shards. To grow the channel layer, deploy several instances and list them all in
// CHANNEL_LAYER_HOSTS (channels-redis shards channels over its hosts), not a clustered one.
param name string
param location string
param tags object
param workspaceId string
param skuName string
param highAvailability bool
param keyVaultName string

resource cluster 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: 'redis-${name}'
  location: location
  tags: tags
  sku: { name: skuName }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: highAvailability ? 'Enabled' : 'Disabled'
  }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: cluster
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    clusteringPolicy: 'NoCluster'
    // Broker messages and channel-layer groups must not be evicted; cache keys carry TTLs.
    evictionPolicy: 'NoEviction'
    port: 10000
    accessKeysAuthentication: 'Enabled'
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource accessKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'redis-access-key'
  properties: {
    value: database.listKeys().primaryKey
    contentType: 'text/plain'
    attributes: { enabled: true }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: cluster
  properties: {
    workspaceId: workspaceId
    metrics: [ { category: 'AllMetrics', enabled: true } ]
  }
}

// Channel layer, cache and Celery broker share the one database an Azure Managed Redis
// instance has (no SELECT): their keys never collide (asgi:*, :1:* cache keys, Celery's queues).
resource redisUrl 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'redis-url'
  properties: {
    value: 'rediss://:${database.listKeys().primaryKey}@${cluster.properties.hostName}:${database.properties.port}/0?ssl_cert_reqs=required'
    contentType: 'text/plain'
    attributes: { enabled: true }
  }
}

output redisUrlUri string = redisUrl.properties.secretUri
output host string = cluster.properties.hostName
output port int = database.properties.port
output accessKeyUri string = accessKey.properties.secretUri
