"""FastAPI service, auth, WebSocket push, live view and operator console (later issue)."""
