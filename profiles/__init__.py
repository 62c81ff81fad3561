"""Built-in HIPAA profiles (YAML files in this package)."""
