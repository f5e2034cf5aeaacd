from support.module_server import server, tokens, users  # noqa: F401 (fixtures, found by name)
