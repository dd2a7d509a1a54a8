// Blob Storage for UGC: a private container, no shared keys (the service signs URLs with a user
// delegation key obtained by its managed identity), HTTPS and TLS 1.2 only.
param name string
param location string
param tags object
param workspaceId string
param contributorPrincipalId string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'st${replace(name, '-', '')}'
  location: location
  tags: tags
  kind: 'StorageV2'
  // Geo- and zone-redundant: uploads are players' work and exist nowhere else.
  sku: { name: 'Standard_GZRS' }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
    encryption: {
      services: { blob: { enabled: true, keyType: 'Account' } }
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: 7 }
    containerDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'ugc'
  properties: { publicAccess: 'None' }
}

var blobContributor = subscriptionResourceId(
  'Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
var blobDelegator = subscriptionResourceId(
  'Microsoft.Authorization/roleDefinitions', 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a')

resource writeBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(container.id, contributorPrincipalId, blobContributor)
  scope: container
  properties: {
    roleDefinitionId: blobContributor
    principalId: contributorPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource signUrls 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, contributorPrincipalId, blobDelegator)
  scope: account
  properties: {
    roleDefinitionId: blobDelegator
    principalId: contributorPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: blobService
  properties: {
    workspaceId: workspaceId
    logs: [ { categoryGroup: 'audit', enabled: true }, { categoryGroup: 'allLogs', enabled: true } ]
    metrics: [ { category: 'Transaction', enabled: true } ]
  }
}

output accountName string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output containerName string = container.name
