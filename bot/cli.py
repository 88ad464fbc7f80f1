"""The `waymark` command: it only parses arguments and hands over to bot.app and friends."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot import logs
from bot.config import load_settings
from bot.errors import StartupError
from bot.i18n import commands as i18n_commands


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="waymark", description="Waymark crisis companion bot")
    parser.add_argument("--config", type=Path, help="optional TOML settings file")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run against Telegram (needs TELEGRAM_BOT_TOKEN)")
    run.add_argument("--data-dir", type=Path, help="where the database and key file live")

    try_ = sub.add_parser(
        "try", help="run everything on this machine and chat with the bot from the terminal"
    )
    try_.add_argument("--lang", default="en", help="the virtual user's Telegram language code")
    try_.add_argument(
        "--script",
        action="store_true",
        help="read lines from stdin without prompting (default when stdin is not a tty)",
    )
    try_.add_argument(
        "--data-dir", type=Path, help="keep the demo database here (default: a temporary folder)"
    )
    partner = sub.add_parser("partner", help="manage partner organizations and credentials")
    partner.add_argument("--data-dir", type=Path)
    psub = partner.add_subparsers(dest="action", required=True)
    add = psub.add_parser("add", help="register a partner organization")
    add.add_argument("id")
    add.add_argument("name")
    add.add_argument("--regions", nargs="+", required=True)
    add.add_argument("--trust", default="two-person", choices=("two-person", "instant"))
    add.add_argument("--language", default="en")
    cred = psub.add_parser("add-credential", help="a member credential; prints its token once")
    cred.add_argument("id")
    cred.add_argument("label")
    cred.add_argument("--roles", nargs="+", required=True, choices=("author", "approver"))
    psub.add_parser("list", help="partners and their credentials (never tokens)")
    revoke = psub.add_parser("revoke", help="revoke a partner or one credential")
    revoke.add_argument("target")
    rotate = psub.add_parser("rotate-token", help="replace a credential's token")
    rotate.add_argument("credential")
    regions = psub.add_parser("set-regions", help="the regions a partner may warn")
    regions.add_argument("id")
    regions.add_argument("regions", nargs="+")
    trust = psub.add_parser("set-trust", help="two-person approval or instant publication")
    trust.add_argument("id")
    trust.add_argument("trust", choices=("two-person", "instant"))

    audit = sub.add_parser("audit", help="check or export the hash-chained audit log")
    audit.add_argument("--data-dir", type=Path)
    audit.add_argument("action", choices=("verify", "export"))

    alert = sub.add_parser("alert", help="delivery status of an alert")
    alert.add_argument("--data-dir", type=Path)
    alert.add_argument("action", choices=("status",))
    alert.add_argument("alert_id")
    alert.add_argument("--follow", action="store_true", help="live progress until it finishes")
    keys = sub.add_parser("keys", help="master key management")
    keys.add_argument("--data-dir", type=Path)
    keys.add_argument("action", choices=("rotate",), help="re-encrypt everything under a new key")

    backup = sub.add_parser("backup", help="write an encrypted, consistent snapshot")
    backup.add_argument("--data-dir", type=Path)
    backup.add_argument("file", type=Path)

    restore = sub.add_parser("restore", help="check and restore an encrypted snapshot")
    restore.add_argument("--data-dir", type=Path)
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true", help="replace an existing database")

    purge = sub.add_parser("purge", help="apply the retention rules now")
    purge.add_argument("--data-dir", type=Path)

    content = sub.add_parser("content", help="check the guides and regions, read feedback")
    content.add_argument("--data-dir", type=Path)
    content.add_argument("action", choices=("check", "feedback"))
    content.add_argument(
        "--max-age-days",
        type=int,
        default=180,
        help="warn about steps reviewed longer ago than this",
    )

    resources = sub.add_parser("resources", help="import or export the resource hubs")
    resources.add_argument("--data-dir", type=Path)
    rsub = resources.add_subparsers(dest="action", required=True)
    rimport = rsub.add_parser("import", help="add or update entries from a .yaml or .csv file")
    rimport.add_argument("file", type=Path)
    rexport = rsub.add_parser("export", help="write every live entry as YAML or CSV")
    rexport.add_argument("--format", choices=("yaml", "csv"), default="yaml")
    rexport.add_argument("--out", type=Path, help="a file (default: standard output)")

    i18n_commands.add_parser(sub)

    qr = sub.add_parser("qr", help="a QR code (PNG) of a link that opens a guide")
    qr.add_argument("--bot", required=True, help="the bot's @username")
    qr.add_argument("--guide", required=True, help="<platform>.<kind>, e.g. telegram.security")
    qr.add_argument("--lang", default="en")
    qr.add_argument("--out", type=Path, required=True)
    return parser


def _data_dir(args: argparse.Namespace) -> Path:
    return load_settings(args.config, data_dir=args.data_dir).data_dir


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return asyncio.run(_run(args))
        if args.command == "try":
            return asyncio.run(_try(args))
        if args.command == "partner":
            from bot.admin import partner_command

            return partner_command(_data_dir(args), args.action, vars(args), sys.stdout)
        if args.command == "audit":
            from bot.admin import audit_command

            return audit_command(_data_dir(args), args.action, sys.stdout)
        if args.command == "keys":
            from bot.admin import keys_rotate

            return keys_rotate(_data_dir(args), sys.stdout)
        if args.command == "backup":
            from bot.admin import backup_command

            return backup_command(_data_dir(args), args.file, sys.stdout)
        if args.command == "restore":
            from bot.admin import restore_command

            return restore_command(_data_dir(args), args.file, sys.stdout, force=args.force)
        if args.command == "purge":
            from bot.admin import purge_command

            settings = load_settings(args.config, data_dir=args.data_dir)
            return purge_command(
                settings.data_dir,
                settings.alert_retention_days,
                settings.purge_inactive_days,
                sys.stdout,
            )
        if args.command == "i18n":
            return i18n_commands.run(args)
        if args.command == "content":
            from bot.content_commands import content_check, content_feedback

            settings = load_settings(args.config, data_dir=args.data_dir)
            if args.action == "check":
                return content_check(settings, sys.stdout, max_age_days=args.max_age_days)
            return content_feedback(settings, sys.stdout)
        if args.command == "resources":
            from bot.resources.commands import export_command, import_command

            settings = load_settings(args.config, data_dir=args.data_dir)
            if args.action == "import":
                return import_command(settings, args.file, sys.stdout)
            return export_command(settings, args.format, args.out, sys.stdout)
        if args.command == "qr":
            from bot.content_commands import qr_command

            settings = load_settings(args.config)
            return qr_command(settings, args.bot, args.guide, args.lang, args.out, sys.stdout)
        if args.command == "alert":
            from bot.admin import alert_status

            return alert_status(_data_dir(args), args.alert_id, sys.stdout, follow=args.follow)
    except StartupError as exc:
        print(f"waymark: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 2  # pragma: no cover - argparse already refused unknown commands


async def _run(args: argparse.Namespace) -> int:
    from bot.app import Waymark

    settings = load_settings(args.config, data_dir=args.data_dir)
    logs.configure(settings.log_level)
    app = Waymark(settings)
    await app.start()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(app.stop()))
    await app.wait()
    return 0


async def _try(args: argparse.Namespace) -> int:
    from bot.tryout import run_tryout

    interactive = sys.stdin.isatty() and not args.script
    with contextlib.ExitStack() as stack:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="waymark-try-")))
        return await run_tryout(
            data_dir=data_dir, lang=args.lang, interactive=interactive, config=args.config
        )
    return 0  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
