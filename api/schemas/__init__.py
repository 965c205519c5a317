"""Request and response models of the API; database rows never double as these."""
