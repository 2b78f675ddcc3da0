"""Request and response models: the API's public contract, documented in its OpenAPI schema."""
