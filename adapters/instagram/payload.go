package instagram

// Object is the "object" of Instagram messaging webhooks.
const Object = "instagram"

// The wire structs are meta.MessagingPayload and its parts: Instagram
// messaging uses the Messenger Platform's shape.
