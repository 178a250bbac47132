"""Who is asking and whether they may: the Caller every service takes, API tokens, map-page sessions and the
throttling of failed credentials. Imports nothing else of layers but `common`."""
