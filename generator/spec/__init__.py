"""The domain spec: strict models, YAML loading with locations, semantic checks, JSON Schema."""
