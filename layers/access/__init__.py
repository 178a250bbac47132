"""Who is asking and whether they may: the Caller every service takes, the access roles, API tokens, user accounts
and their passwords, map-page sessions (with their CSRF tokens) and the throttling of failed credentials. Imports
nothing else of layers but `common`."""
