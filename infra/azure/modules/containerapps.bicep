// One image, five container apps in one environment, a migration job and the path routes.
//
//   web     gunicorn: portal, admin, REST            HTTP scaler
//   asgi    Daphne: /ws/                             CPU scaler (sockets are long-lived)
//   worker  Celery tasks                             KEDA Redis list scaler (queue length)
//   beat    Celery beat                              exactly one replica
//   events  Service Bus consumer                     KEDA azure-servicebus scaler (backlog)
//
// No sticky sessions: a client that reconnects to another asgi replica resumes by seq.
//
// Restarts: Container Apps restarts any container whose process exits (its restart policy is
// always and cannot be changed for apps; repeated exits back off like a Kubernetes
// CrashLoopBackOff, up to about 5 minutes). worker, beat and events rely on that: a process
// that dies on a Redis or PostgreSQL outage comes back by itself (docs/operations.md,
// "Restarts"); web and asgi are also restarted when their /healthz liveness probe fails.
param name string
param location string
param tags object
param workspaceCustomerId string
@secure()
param workspaceSharedKey string
param identityId string
param identityClientId string
param image string
param registryServer string
param allowedHosts string
param secretKeyUri string
param databaseUrlUri string
param redisUrlUri string
param redisAccessKeyUri string
param redisHost string
param redisPort int
param serviceBusNamespace string
param serviceBusTopic string
param serviceBusSubscription string
param blobAccountName string
param blobContainerName string
param insightsConnectionString string
param sizing object

resource environment 'Microsoft.App/managedEnvironments@2024-10-02-preview' = {
  name: 'cae-${name}'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: { customerId: workspaceCustomerId, sharedKey: workspaceSharedKey }
    }
    zoneRedundant: false
    workloadProfiles: [ { name: 'Consumption', workloadProfileType: 'Consumption' } ]
  }
}

var secrets = [
  { name: 'django-secret-key', keyVaultUrl: secretKeyUri, identity: identityId }
  { name: 'database-url', keyVaultUrl: databaseUrlUri, identity: identityId }
  { name: 'redis-url', keyVaultUrl: redisUrlUri, identity: identityId }
  { name: 'redis-password', keyVaultUrl: redisAccessKeyUri, identity: identityId }
]

// Every process reads the same environment (.env.example documents each variable).
var commonEnv = [
  { name: 'DJANGO_ENV', value: 'production' }
  { name: 'DJANGO_SECRET_KEY', secretRef: 'django-secret-key' }
  { name: 'DJANGO_ALLOWED_HOSTS', value: allowedHosts }
  { name: 'DJANGO_CSRF_TRUSTED_ORIGINS', value: 'https://${allowedHosts}' }
  { name: 'DATABASE_URL', secretRef: 'database-url' }
  { name: 'REDIS_URL', secretRef: 'redis-url' }
  { name: 'CELERY_BROKER_URL', secretRef: 'redis-url' }
  // The Container Apps ingress is the one proxy in front of the processes.
  { name: 'TRUSTED_PROXY_COUNT', value: '1' }
  { name: 'LOG_FORMAT', value: 'json' }
  // DefaultAzureCredential picks the user-assigned identity by its client id.
  { name: 'AZURE_CLIENT_ID', value: identityClientId }
  { name: 'SERVICEBUS_FULLY_QUALIFIED_NAMESPACE', value: '${serviceBusNamespace}.servicebus.windows.net' }
  { name: 'SERVICEBUS_TOPIC', value: serviceBusTopic }
  { name: 'SERVICEBUS_SUBSCRIPTION', value: serviceBusSubscription }
  // UGC files: the account by name and no key; the identity holds Storage Blob Data
  // Contributor and signs download links with a user delegation key.
  { name: 'UGC_AZURE_ACCOUNT_NAME', value: blobAccountName }
  { name: 'UGC_AZURE_CONTAINER', value: blobContainerName }
  // OpenTelemetry metrics and traces (docs/operations.md), sent with the identity's Entra
  // token (the component accepts no key; the identity is its Monitoring Metrics Publisher).
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insightsConnectionString }
  { name: 'APPLICATIONINSIGHTS_ENTRA_AUTH', value: 'true' }
  // The consumer runs as its own app (events); workers do not start one.
  { name: 'GAME_EVENTS_CONSUMERS', value: '0' }
]

var probes = [
  { type: 'Liveness', httpGet: { path: '/healthz', port: 8000 }, periodSeconds: 10, failureThreshold: 3 }
  { type: 'Readiness', httpGet: { path: '/readyz', port: 8000 }, periodSeconds: 10, failureThreshold: 3 }
]

var registries = [ { server: registryServer, identity: identityId } ]

resource web 'Microsoft.App/containerApps@2024-10-02-preview' = {
  name: 'web'
  location: location
  tags: tags
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identityId}': {} } }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: {
      ingress: { external: false, targetPort: 8000, transport: 'http', allowInsecure: false }
      secrets: secrets
      registries: registries
    }
    template: {
      containers: [
        {
          name: 'web'
          image: image
          command: [ 'gunicorn', 'community.wsgi:application', '-c', 'python:community.gunicorn',
            '--bind', '0.0.0.0:8000',
            '--workers', string(sizing.webWorkers), '--forwarded-allow-ips', '*',
            '--worker-tmp-dir', '/dev/shm' ]
          resources: { cpu: json(sizing.webCpu), memory: sizing.webMemory }
          env: commonEnv
          probes: probes
        }
      ]
      scale: {
        minReplicas: sizing.webMin
        maxReplicas: sizing.webMax
        rules: [ { name: 'http', http: { metadata: { concurrentRequests: '40' } } } ]
      }
    }
  }
}

resource asgi 'Microsoft.App/containerApps@2024-10-02-preview' = {
  name: 'asgi'
  location: location
  tags: tags
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identityId}': {} } }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: {
      ingress: { external: false, targetPort: 8000, transport: 'http', allowInsecure: false }
      secrets: secrets
      registries: registries
    }
    template: {
      containers: [
        {
          name: 'asgi'
          image: image
          command: [ 'python', '-m', 'community.server', '--host', '0.0.0.0', '--port', '8000' ]
          resources: { cpu: json(sizing.asgiCpu), memory: sizing.asgiMemory }
          env: commonEnv
          probes: probes
        }
      ]
      scale: {
        minReplicas: sizing.asgiMin
        maxReplicas: sizing.asgiMax
        rules: [ { name: 'cpu', custom: { type: 'cpu', metadata: { type: 'Utilization', value: '60' } } } ]
      }
    }
  }
}

resource worker 'Microsoft.App/containerApps@2024-10-02-preview' = {
  name: 'worker'
  location: location
  tags: tags
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identityId}': {} } }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: { secrets: secrets, registries: registries }
    template: {
      containers: [
        {
          name: 'worker'
          image: image
          command: [ 'celery', '-A', 'community', 'worker', '--loglevel', 'INFO',
            '--concurrency', string(sizing.workerConcurrency), '--without-mingle' ]
          resources: { cpu: json(sizing.workerCpu), memory: sizing.workerMemory }
          env: commonEnv
        }
      ]
      scale: {
        minReplicas: sizing.workerMin
        maxReplicas: sizing.workerMax
        rules: [
          {
            name: 'celery-queue'
            custom: {
              type: 'redis'
              metadata: {
                address: '${redisHost}:${redisPort}'
                listName: 'celery'
                listLength: '50'
                enableTLS: 'true'
              }
              auth: [ { secretRef: 'redis-password', triggerParameter: 'password' } ]
            }
          }
        ]
      }
    }
  }
}

resource beat 'Microsoft.App/containerApps@2024-10-02-preview' = {
  name: 'beat'
  location: location
  tags: tags
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identityId}': {} } }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: { secrets: secrets, registries: registries }
    template: {
      containers: [
        {
          name: 'beat'
          image: image
          command: [ 'celery', '-A', 'community', 'beat', '--loglevel', 'INFO',
            '--schedule', '/tmp/celerybeat-schedule' ]
          resources: { cpu: json('0.25'), memory: '0.5Gi' }
          env: commonEnv
        }
      ]
      // Exactly one: two beats would schedule every periodic job twice.
      scale: { minReplicas: 1, maxReplicas: 1 }
    }
  }
}

resource events 'Microsoft.App/containerApps@2024-10-02-preview' = {
  name: 'events'
  location: location
  tags: tags
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identityId}': {} } }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: { secrets: secrets, registries: registries }
    template: {
      containers: [
        {
          name: 'events'
          image: image
          command: [ 'python', 'manage.py', 'consume_events' ]
          resources: { cpu: json(sizing.eventsCpu), memory: sizing.eventsMemory }
          env: commonEnv
        }
      ]
      scale: {
        minReplicas: sizing.eventsMin
        maxReplicas: sizing.eventsMax
        rules: [
          {
            name: 'subscription-backlog'
            custom: {
              type: 'azure-servicebus'
              identity: identityId
              metadata: {
                namespace: serviceBusNamespace
                topicName: serviceBusTopic
                subscriptionName: serviceBusSubscription
                messageCount: '1000'
              }
            }
          }
        ]
      }
    }
  }
}

// Migrations run as a one-off job before a new revision takes traffic (docs/deploy-azure.md).
resource migrate 'Microsoft.App/jobs@2024-10-02-preview' = {
  name: 'migrate'
  location: location
  tags: tags
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identityId}': {} } }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: {
      triggerType: 'Manual'
      replicaTimeout: 1800
      replicaRetryLimit: 0
      manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 }
      secrets: secrets
      registries: registries
    }
    template: {
      containers: [
        {
          name: 'migrate'
          image: image
          command: [ 'python', 'manage.py', 'migrate', '--noinput' ]
          resources: { cpu: json('0.5'), memory: '1Gi' }
          env: commonEnv
        }
      ]
    }
  }
}

// One public host name: /ws/ to asgi, everything else to web.
resource routes 'Microsoft.App/managedEnvironments/httpRouteConfigs@2025-02-02-preview' = {
  parent: environment
  name: 'community'
  properties: {
    rules: [
      {
        description: 'Websockets to Daphne'
        routes: [ { match: { prefix: '/ws/' } } ]
        targets: [ { containerApp: asgi.name } ]
      }
      {
        description: 'Portal, admin and REST to gunicorn'
        routes: [ { match: { prefix: '/' } } ]
        targets: [ { containerApp: web.name } ]
      }
    ]
  }
}

output environmentId string = environment.id
output publicHost string = routes.properties.fqdn
