"""Who is asking (access tokens, API tokens) and what they may do (permissions, scope)."""
