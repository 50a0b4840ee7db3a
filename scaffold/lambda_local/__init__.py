"""The local Lambda path: Function URL events, the RIE client, `invoke` and `serve`.

Nothing here imports the generator: these tools drive any function behind the Runtime Interface
Emulator.
"""
