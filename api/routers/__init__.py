"""One router per resource, mounted under /api/v1 by `api.app.create_app`."""

# Every versioned route starts here; baked into each router so a route knows its full
# template (metrics label by it).
V1 = "/api/v1"
