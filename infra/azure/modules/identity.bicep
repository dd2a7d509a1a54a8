// The one user-assigned identity every container app runs as: Service Bus, Blob Storage, Key
// Vault and Application Insights accept it, so none of them needs a key in the environment.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${name}'
  location: location
  tags: tags
}

output id string = identity.id
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
