// PostgreSQL Flexible Server: TLS required, Entra and password authentication, zone-redundant HA
// in production, PgBouncer in transaction mode in front (port 6432).
//
// PgBouncer and the psycopg pool: each process keeps DATABASE_POOL_MAX_SIZE connections to
// PgBouncer, which multiplexes them onto default_pool_size server connections per database.
// Transaction pooling is safe for the service because Django runs each request/task in
// autocommit or one transaction. The hot reads are protocol-level prepared statements
// (DATABASE_PREPARED_STATEMENTS, on by default); PgBouncer (1.22 and later) keeps them across
// transactions because max_prepared_statements is set (docs/deploy-azure.md).
param name string
param location string
param tags object
param workspaceId string
param skuName string
param skuTier string
param storageGb int
param highAvailability bool
param administratorLogin string
@secure()
param administratorPassword string
param pgbouncerPoolSize int
param keyVaultName string

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: 'psql-${name}'
  location: location
  tags: tags
  sku: { name: skuName, tier: skuTier }
  properties: {
    version: '16'
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorPassword
    authConfig: { activeDirectoryAuth: 'Enabled', passwordAuth: 'Enabled', tenantId: subscription().tenantId }
    storage: { storageSizeGB: storageGb, autoGrow: 'Enabled' }
    backup: { backupRetentionDays: 14, geoRedundantBackup: highAvailability ? 'Enabled' : 'Disabled' }
    highAvailability: { mode: highAvailability ? 'ZoneRedundant' : 'Disabled' }
    network: { publicNetworkAccess: 'Enabled' }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: 'community'
  properties: { charset: 'UTF8', collation: 'en_US.utf8' }
}

var serverParameters = {
  require_secure_transport: 'on'
  ssl_min_protocol_version: 'TLSv1.2'
  'pgbouncer.enabled': 'true'
  'pgbouncer.pool_mode': 'transaction'
  'pgbouncer.default_pool_size': string(pgbouncerPoolSize)
  'pgbouncer.max_client_conn': '5000'
  // Above psycopg's 100 prepared statements per connection, so none is re-prepared for lack
  // of room (apps/common/postgresql/base.py, prepared_cursor).
  'pgbouncer.max_prepared_statements': '200'
  // The applier's batches and the chat committer hold short transactions; nothing waits long.
  idle_in_transaction_session_timeout: '60000'
  log_min_duration_statement: '500'
}

@batchSize(1)
resource parameters 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = [
  for parameter in items(serverParameters): {
    parent: server
    name: parameter.key
    properties: { value: parameter.value, source: 'user-override' }
  }
]

// Container Apps reach the server over its public endpoint; only Azure services may connect.
resource allowAzure 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = {
  parent: server
  name: 'allow-azure-services'
  properties: { startIpAddress: '0.0.0.0', endIpAddress: '0.0.0.0' }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: server
  properties: {
    workspaceId: workspaceId
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
    metrics: [ { category: 'AllMetrics', enabled: true } ]
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// Through PgBouncer (6432), TLS verified.
resource databaseUrl 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'database-url'
  properties: {
    value: 'postgres://${administratorLogin}:${uriComponent(administratorPassword)}@${server.properties.fullyQualifiedDomainName}:6432/${database.name}?sslmode=verify-full'
    contentType: 'text/plain'
    attributes: { enabled: true }
  }
}

output databaseUrlUri string = databaseUrl.properties.secretUri
output host string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
