"""The emulated world: virtual users, their private chats with the bot, and the update queue.

Pure, synchronous logic (no HTTP): the server and the Bot API methods call into it, and it reports
changes through two callbacks so that long polls can wake up. Every change to a chat bumps the
chat's version; changes made by the bot also move `bot_version`, which is what a test waits on
("the bot answered"), so the user's own message never counts as the answer.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from bot.emulator.limits import MAX_TEXT
from bot.emulator.markup import Formatted, utf16_len

JSON = dict[str, Any]

MAX_BULK_USERS = 2_000_000
DELETE_WINDOW = 48 * 3600  # a bot may delete messages younger than this in private chats
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{1,64})?(?=\s|$)")


class ControlError(Exception):
    """A control-API request that cannot be honoured (answered as a JSON error, not Bot API)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Clock:
    """The emulator's wall clock: real time plus an offset tests can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ControlError(400, "the clock only moves forward")
        self.offset += seconds
        return self.now()


@dataclass(slots=True)
class User:
    id: int
    first_name: str = "Test"
    language_code: str | None = "en"
    username: str | None = None
    blocked: bool = False

    def api(self) -> JSON:
        """The Bot API User object."""
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat_api(self) -> JSON:
        """The Bot API Chat object of the private chat with this user."""
        chat: JSON = {"id": self.id, "first_name": self.first_name, "type": "private"}
        if self.username:
            chat["username"] = self.username
        return chat

    def control(self) -> JSON:
        return {**self.api(), "blocked": self.blocked}


@dataclass
class Message:
    """One message in a chat, as Telegram stores it (text already parsed into entities)."""

    message_id: int
    from_bot: bool
    date: int
    text: Formatted | None = None
    html: str | None = None  # the text or caption parameter exactly as the bot sent it
    caption: Formatted | None = None
    photo: list[JSON] | None = None
    has_spoiler: bool = False
    reply_markup: JSON | None = None
    edit_date: int | None = None
    disable_notification: bool = False

    def buttons(self) -> list[list[JSON]]:
        if not self.reply_markup:
            return []
        rows: list[list[JSON]] = self.reply_markup.get("inline_keyboard", [])
        return rows


@dataclass(slots=True)
class Chat:
    """A private chat between one virtual user and the bot."""

    user: User
    messages: dict[int, Message] = field(default_factory=dict)
    next_message_id: int = 1
    version: int = 0
    bot_version: int = 0
    callback_answers: list[JSON] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.user.id

    def bot_messages_newest_first(self) -> Iterator[Message]:
        return (m for m in reversed(self.messages.values()) if m.from_bot)


@dataclass
class CallbackQuery:
    chat_id: int
    message_id: int
    data: str
    answered: bool = False


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


class Record(NamedTuple):
    """One Bot API call in the transcript: a fixed, small record (benchmarks make 100k calls)."""

    seq: int
    t: float
    method: str
    chat_id: int | None
    status: int
    message_id: int | None
    paid: bool

    def json(self) -> JSON:
        return self._asdict()


class Transcript:
    """Every Bot API call, in order; `since` is the last seq the reader has seen."""

    def __init__(self, max_records: int = 1_000_000) -> None:
        self.records: deque[Record] = deque(maxlen=max_records)
        self._seq = itertools.count(1)

    def add(
        self,
        t: float,
        method: str,
        chat_id: int | None,
        status: int,
        message_id: int | None,
        paid: bool,
    ) -> None:
        self.records.append(Record(next(self._seq), t, method, chat_id, status, message_id, paid))

    def since(self, seq: int) -> list[Record]:
        if not self.records:
            return []
        skip = max(0, seq - self.records[0].seq + 1)
        return list(itertools.islice(self.records, skip, None))

    def clear(self) -> None:
        self.records.clear()


@dataclass
class Fault:
    """An answer forced on the next `times` matching calls (a test's way to make Telegram fail)."""

    method: str
    status: int
    description: str
    retry_after: int | None = None
    times: int = 1
    chat_id: int | None = None
    delay: float = 0.0  # seconds the answer takes, so a test can hold many calls in flight

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method != "*" and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id


class Faults:
    def __init__(self) -> None:
        self.items: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.times < 1 or not 400 <= fault.status <= 599:
            raise ControlError(400, "a fault needs times >= 1 and an error status 400-599")
        self.items.append(fault)

    def take(self, method: str, chat_id: int | None) -> Fault | None:
        """The first matching fault, used up by one."""
        for fault in self.items:
            if fault.matches(method, chat_id):
                fault.times -= 1
                if fault.times == 0:
                    self.items.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self.items.clear()


class World:
    """Users, chats, updates and the bot's settings; the one source of truth for both APIs."""

    def __init__(self, bot_user: JSON) -> None:
        self.bot_user = bot_user
        self.clock = Clock()
        self.chats: dict[int, Chat] = {}
        self.updates: deque[JSON] = deque()
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.queries: dict[str, CallbackQuery] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.files: dict[str, list[JSON]] = {}
        self.webhook: Webhook | None = None
        self.faults = Faults()
        self.transcript = Transcript()
        # Ids only grow, even across reset: a running bot remembers its update offset.
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self.on_chat_change: Callable[[int], None] = lambda chat_id: None
        self.on_update: Callable[[], None] = lambda: None

    def reset(self) -> None:
        """Forget people and their chats; keep what the bot configured (commands, webhook)."""
        self.chats.clear()
        self.updates.clear()
        self.queries.clear()
        self.faults.clear()
        self.transcript.clear()
        self.clock = Clock()

    # --- users and chats -------------------------------------------------------------------

    def add_user(self, user: User) -> User:
        if user.id <= 0:
            raise ControlError(400, "a user id must be a positive integer")
        chat = self.chats.get(user.id)
        if chat is None:
            self.chats[user.id] = Chat(user)
            return user
        chat.user.first_name = user.first_name
        chat.user.language_code = user.language_code
        chat.user.username = user.username
        return chat.user

    def add_users(self, first_id: int, count: int, language_code: str | None = "en") -> int:
        """Many plain users at once (benchmarks seed 100k); existing ids are left as they are.

        They share one first name and language string, so each costs a few hundred bytes.
        """
        if first_id <= 0 or count < 0 or count > MAX_BULK_USERS:
            raise ControlError(
                400, f"first_id must be positive and count between 0 and {MAX_BULK_USERS}"
            )
        created = 0
        chats = self.chats
        for user_id in range(first_id, first_id + count):
            if user_id not in chats:
                chats[user_id] = Chat(User(user_id, language_code=language_code))
                created += 1
        return created

    def chat(self, user_id: int) -> Chat:
        chat = self.chats.get(user_id)
        if chat is None:
            raise ControlError(404, "no such user: create it first")
        return chat

    def now(self) -> int:
        return int(self.clock.now())

    def changed(self, chat: Chat, *, by_bot: bool) -> None:
        chat.version += 1
        if by_bot:
            chat.bot_version = chat.version
        self.on_chat_change(chat.id)

    def add_message(self, chat: Chat, message: Message, *, by_bot: bool) -> Message:
        message.message_id = chat.next_message_id
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        self.changed(chat, by_bot=by_bot)
        return message

    def delete_message(self, chat: Chat, message_id: int) -> None:
        del chat.messages[message_id]

    def can_delete(self, message: Message) -> bool:
        return self.clock.now() - message.date < DELETE_WINDOW

    # --- updates ---------------------------------------------------------------------------

    def push_update(self, kind: str, payload: JSON) -> None:
        """Queue an update unless the bot said it does not want this kind (as Telegram does)."""
        if kind not in self.allowed_updates:
            return
        self.updates.append({"update_id": next(self._update_ids), kind: payload})
        self.on_update()

    def set_allowed_updates(self, kinds: list[str] | None) -> None:
        if kinds is not None:
            self.allowed_updates = frozenset(kinds) if kinds else DEFAULT_UPDATE_TYPES

    def confirm(self, offset: int | None) -> None:
        """getUpdates' offset: forget every update below it; a negative one keeps the last N."""
        if offset is None or offset == 0:
            return
        if offset < 0:
            while len(self.updates) > -offset:
                self.updates.popleft()
            return
        while self.updates and self.updates[0]["update_id"] < offset:
            self.updates.popleft()

    def pending(self, limit: int) -> list[JSON]:
        return list(itertools.islice(self.updates, limit))

    # --- the user's side -------------------------------------------------------------------

    def message_api(self, chat: Chat, message: Message) -> JSON:
        """A stored message as the Bot API Message object."""
        out: JSON = {
            "message_id": message.message_id,
            "from": self.bot_user if message.from_bot else chat.user.api(),
            "chat": chat.user.chat_api(),
            "date": message.date,
        }
        if message.edit_date is not None:
            out["edit_date"] = message.edit_date
        if message.text is not None:
            out["text"] = message.text.text
            if message.text.entities:
                out["entities"] = message.text.entities_json()
        if message.photo is not None:
            out["photo"] = [dict(size) for size in message.photo]
            if message.caption is not None and message.caption.text:
                out["caption"] = message.caption.text
                if message.caption.entities:
                    out["caption_entities"] = message.caption.entities_json()
            if message.has_spoiler:
                out["has_media_spoiler"] = True
        if message.reply_markup:
            out["reply_markup"] = json.loads(json.dumps(message.reply_markup))
        return out

    def user_sends(self, user_id: int, text: str) -> int:
        """The user types `text`; returns the chat version before it."""
        chat = self.chat(user_id)
        if not text.strip():
            raise ControlError(400, "a message needs some text")
        if utf16_len(text) > MAX_TEXT:
            raise ControlError(400, "a message is at most 4096 UTF-16 code units")
        before = chat.version
        if chat.user.blocked:
            self.set_blocked(user_id, False)  # writing to the bot again unblocks it
        entities = _command_entities(text)
        message = Message(0, from_bot=False, date=self.now(), text=Formatted(text, entities))
        self.add_message(chat, message, by_bot=False)
        self.push_update("message", self.message_api(chat, message))
        return before

    def user_presses(
        self,
        user_id: int,
        *,
        label: str | None = None,
        data: str | None = None,
        message_id: int | None = None,
        forge: bool = False,
    ) -> int:
        """The user presses an inline button (or a forged one); returns the version before."""
        chat = self.chat(user_id)
        if label is None and data is None:
            raise ControlError(400, "say which button: label or data")
        if forge:
            if data is None:
                raise ControlError(400, "a forged press needs the data to send")
            target = _forge_target(chat, message_id)
            pressed = data
        else:
            target, pressed = _find_button(chat, label, data, message_id)
        before = chat.version
        if chat.user.blocked:
            self.set_blocked(user_id, False)
        query_id = str(next(self._query_ids))
        self.queries[query_id] = CallbackQuery(chat.id, target.message_id, pressed)
        self.push_update(
            "callback_query",
            {
                "id": query_id,
                "from": chat.user.api(),
                "message": self.message_api(chat, target),
                "chat_instance": str((chat.id * 2_654_435_761) % 10**18),
                "data": pressed,
            },
        )
        return before

    def set_blocked(self, user_id: int, blocked: bool) -> None:
        """Blocking (or unblocking) the bot; Telegram tells the bot with a my_chat_member update."""
        chat = self.chat(user_id)
        if chat.user.blocked == blocked:
            return
        chat.user.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        new_member: JSON = {"user": self.bot_user, "status": new}
        if blocked:
            new_member["until_date"] = 0
        self.push_update(
            "my_chat_member",
            {
                "chat": chat.user.chat_api(),
                "from": chat.user.api(),
                "date": self.now(),
                "old_chat_member": {"user": self.bot_user, "status": old},
                "new_chat_member": new_member,
            },
        )

    def commands_view(self) -> list[JSON]:
        return [
            {"scope": json.loads(scope), "language_code": language, "commands": list(commands)}
            for (scope, language), commands in self.commands.items()
        ]


def _command_entities(text: str) -> tuple[JSON, ...]:
    match = _COMMAND.match(text)
    if match is None:
        return ()
    return ({"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))},)


def _forge_target(chat: Chat, message_id: int | None) -> Message:
    if message_id is not None:
        message = chat.messages.get(message_id)
        if message is None or not message.from_bot:
            raise ControlError(400, f"no bot message {message_id} in this chat")
        return message
    newest = next(chat.bot_messages_newest_first(), None)
    if newest is None:
        raise ControlError(400, "there is no bot message to press a button on")
    return newest


def _find_button(
    chat: Chat, label: str | None, data: str | None, message_id: int | None
) -> tuple[Message, str]:
    """The newest visible button with this label and/or data, and the data it sends."""
    if message_id is not None:
        candidates = [_forge_target(chat, message_id)]
    else:
        candidates = list(chat.bot_messages_newest_first())
    for message in candidates:
        for row in message.buttons():
            for button in row:
                if label is not None and button.get("text") != label:
                    continue
                if data is not None and button.get("callback_data") != data:
                    continue
                pressed = button.get("callback_data")
                if not pressed:
                    raise ControlError(400, f"button {button.get('text')!r} sends nothing back")
                return message, str(pressed)
    visible = [b.get("text") for m in candidates for row in m.buttons() for b in row]
    wanted = f"label {label!r}" if label is not None else f"data {data!r}"
    raise ControlError(400, f"no visible button with {wanted}; visible buttons: {visible}")
