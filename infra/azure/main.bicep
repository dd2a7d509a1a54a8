// The community service on Azure: `az deployment group create -g <rg> -f infra/azure/main.bicep
// -p infra/azure/<env>.parameters.json -p djangoSecretKey=... postgresAdministratorPassword=...`
// (docs/deploy-azure.md). Local modules only.
targetScope = 'resourceGroup'

@allowed([ 'dev', 'prod' ])
param environmentName string
param location string = resourceGroup().location
@description('Public host name players use (the portal, the API and /ws/).')
param hostName string
@description('Container image of the service, e.g. <registry>.azurecr.io/community:<git sha>.')
param image string
param registryServer string
@secure()
param djangoSecretKey string
param postgresAdministratorLogin string = 'community'
@secure()
param postgresAdministratorPassword string
@description('Title slugs that get a Send-only rule on the game-events topic.')
param titleSenders array = []

var isProduction = environmentName == 'prod'
var name = 'community-${environmentName}'
var tags = { service: 'community', environment: environmentName }

// Sizing per node from bench/ figures (docs/deploy-azure.md#sizing).
var sizing = isProduction ? {
  webCpu: '1.0', webMemory: '2Gi', webWorkers: 3, webMin: 2, webMax: 20
  asgiCpu: '1.0', asgiMemory: '2Gi', asgiMin: 2, asgiMax: 20
  workerCpu: '1.0', workerMemory: '2Gi', workerConcurrency: 4, workerMin: 2, workerMax: 10
  eventsCpu: '1.0', eventsMemory: '2Gi', eventsMin: 1, eventsMax: 8
} : {
  webCpu: '0.5', webMemory: '1Gi', webWorkers: 2, webMin: 1, webMax: 2
  asgiCpu: '0.5', asgiMemory: '1Gi', asgiMin: 1, asgiMax: 2
  workerCpu: '0.5', workerMemory: '1Gi', workerConcurrency: 2, workerMin: 1, workerMax: 2
  eventsCpu: '0.5', eventsMemory: '1Gi', eventsMin: 1, eventsMax: 1
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    name: name
    location: location
    tags: tags
    retentionDays: isProduction ? 90 : 30
    publisherPrincipalId: identity.outputs.principalId
  }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: { name: name, location: location, tags: tags }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: name
    location: location
    tags: tags
    workspaceId: monitoring.outputs.workspaceId
    readerPrincipalId: identity.outputs.principalId
    djangoSecretKey: djangoSecretKey
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  params: {
    name: name
    location: location
    tags: tags
    workspaceId: monitoring.outputs.workspaceId
    skuName: isProduction ? 'Standard_D4ds_v5' : 'Standard_B2s'
    skuTier: isProduction ? 'GeneralPurpose' : 'Burstable'
    storageGb: isProduction ? 256 : 32
    highAvailability: isProduction
    administratorLogin: postgresAdministratorLogin
    administratorPassword: postgresAdministratorPassword
    pgbouncerPoolSize: isProduction ? 100 : 20
    keyVaultName: vault.outputs.name
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  params: {
    name: name
    location: location
    tags: tags
    workspaceId: monitoring.outputs.workspaceId
    skuName: isProduction ? 'Balanced_B5' : 'Balanced_B0'
    highAvailability: isProduction
    keyVaultName: vault.outputs.name
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    name: name
    location: location
    tags: tags
    workspaceId: monitoring.outputs.workspaceId
    skuName: isProduction ? 'Premium' : 'Standard'
    receiverPrincipalId: identity.outputs.principalId
    titleSenders: titleSenders
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: name
    location: location
    tags: tags
    workspaceId: monitoring.outputs.workspaceId
    contributorPrincipalId: identity.outputs.principalId
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: 'log-${name}'
  dependsOn: [ monitoring ]
}

module apps 'modules/containerapps.bicep' = {
  name: 'containerapps'
  params: {
    name: name
    location: location
    tags: tags
    workspaceCustomerId: monitoring.outputs.workspaceCustomerId
    workspaceSharedKey: workspace.listKeys().primarySharedKey
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    image: image
    registryServer: registryServer
    allowedHosts: hostName
    secretKeyUri: vault.outputs.secretKeyUri
    databaseUrlUri: postgres.outputs.databaseUrlUri
    redisUrlUri: redis.outputs.redisUrlUri
    redisAccessKeyUri: redis.outputs.accessKeyUri
    redisHost: redis.outputs.host
    redisPort: redis.outputs.port
    serviceBusNamespace: serviceBus.outputs.namespaceName
    serviceBusTopic: serviceBus.outputs.topicName
    serviceBusSubscription: serviceBus.outputs.subscriptionName
    blobAccountName: storage.outputs.accountName
    blobContainerName: storage.outputs.containerName
    insightsConnectionString: monitoring.outputs.insightsConnectionString
    sizing: sizing
  }
}

output publicHost string = apps.outputs.publicHost
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
