"""Camera registry: districts, cameras, departments, users; bulk import and export."""
