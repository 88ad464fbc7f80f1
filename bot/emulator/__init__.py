"""A local Telegram Bot API emulator for tests, benchmarks and `waymark try`.

server.EmulatorServer speaks the Bot API to an unmodified python-telegram-bot (give it
`base_url`) and a control API for the user's side; client.EmulatorClient drives that control API;
terminal.run_terminal lets a person chat with the bot from a terminal.
"""
