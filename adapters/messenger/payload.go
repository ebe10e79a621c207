package messenger

// Object is the "object" of Messenger webhooks.
const Object = "page"

// The wire structs are meta.MessagingPayload and its parts: Messenger and
// Instagram messaging share the Messenger Platform's shape.
