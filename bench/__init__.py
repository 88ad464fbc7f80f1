"""Waymark's benchmarks: `python -m bench` runs them all, `--quick` a small smoke version,
`--only NAME` one of them. Results are printed and appended to bench/RESULTS.md.

Every benchmark runs the real pieces as separate processes on 127.0.0.1: the Bot API emulator
(bench/emulator_proc.py), `waymark run` (configured through its environment, as an operator
would) and, for the throughput baseline, a bare python-telegram-bot bot (bench/echo_bot.py).
Timings come from the emulator's transcript (time.monotonic at each Bot API call), so they are
the moments "Telegram" saw, not what the bot believes it did.
"""
