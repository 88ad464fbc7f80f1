"""Resources: vetted places and services people can reach, per region, kept current by partners.

One validator serves every way an entry comes in (the partner API, `waymark resources import`,
`waymark content check` and the seed at start), so all of them refuse the same things with the same
words. A problem names the field it is about; callers add a file and line, or an HTTP status.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from bot.regions import CODE as REGION_CODE
from bot.regions import Regions

CATEGORIES = (
    "emergency-medical",
    "shelter",
    "food-water",
    "legal-aid",
    "psychosocial",
    "family-tracing",
    "digital-security",
    "verified-info",
)
GLOBAL = "global"  # in `regions`: shown in every region
EDITORIAL = "waymark"  # `verified_by` of editorial global entries (operator only)
CONTACT_KINDS = ("tel", "https", "telegram")
EXPIRY_WARNING_DAYS = 30  # entries this close to expiry are flagged "may be out of date soon"
DEFAULT_VALIDITY_DAYS = 180  # the API's default expiry when a partner gives none

ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
PARTNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TEL = re.compile(r"^\+[0-9]{3,15}$")  # E.164: a plus and at most 15 digits, nothing else
TELEGRAM = re.compile(r"^@?([A-Za-z0-9_]{5,32})$")
HTTPS = re.compile(r"^https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:[0-9]{1,5})?(/[^\s<>\"']*)?$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")

# Limits that keep five entries inside one Telegram message (4096 characters) in any language.
MAX_NAME = 80
MAX_HOURS = 60
MAX_CONTACTS = 3
MAX_CONTACT_VALUE = 100
MAX_LANGUAGES = 6
MAX_REGIONS = 20
MAX_SOURCE = 200

FIELDS = (
    "id",
    "category",
    "name",
    "contacts",
    "hours",
    "languages",
    "regions",
    "verified_by",
    "last_verified",
    "expires",
    "source",
)
REQUIRED = (
    "id",
    "category",
    "name",
    "contacts",
    "regions",
    "verified_by",
    "last_verified",
    "expires",
    "source",
)


@dataclass(frozen=True)
class Contact:
    kind: str  # tel | https | telegram
    value: str  # "+99..." | "https://..." | "username" (without the @)

    def shown(self) -> str:
        return "@" + self.value if self.kind == "telegram" else self.value

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.shown()}


@dataclass(frozen=True)
class Resource:
    id: str
    category: str
    name: str
    contacts: tuple[Contact, ...]
    regions: tuple[str, ...]  # region codes, or ("global",)
    verified_by: str  # a partner id, or "waymark"
    last_verified: date
    expires: date
    source: str
    hours: str | None = None
    languages: tuple[str, ...] = ()
    retired: bool = False

    @property
    def is_global(self) -> bool:
        return GLOBAL in self.regions

    def expired(self, today: date) -> bool:
        return self.expires < today

    def expiring_soon(self, today: date) -> bool:
        return not self.expired(today) and self.expires - today <= timedelta(
            days=EXPIRY_WARNING_DAYS
        )

    def to_dict(self) -> dict[str, Any]:
        """The interchange form: the API's JSON, the YAML export and the import's input."""
        data: dict[str, Any] = {
            "id": self.id,
            "category": self.category,
            "name": self.name,
            "contacts": [c.to_dict() for c in self.contacts],
            "hours": self.hours,
            "languages": list(self.languages),
            "regions": list(self.regions),
            "verified_by": self.verified_by,
            "last_verified": self.last_verified.isoformat(),
            "expires": self.expires.isoformat(),
            "source": self.source,
        }
        return data


@dataclass(frozen=True)
class FieldProblem:
    field: tuple[str | int, ...]  # ("contacts", 1, "value"): where in the entry
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class Checked:
    resource: Resource | None
    problems: list[FieldProblem] = field(default_factory=list)


def _text(raw: Any, name: str, limit: int, problems: list[FieldProblem]) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str):
        problems.append(FieldProblem((name,), f"{name}: must be text"))
        return None
    text = " ".join(raw.split())
    if len(text) > limit:
        problems.append(FieldProblem((name,), f"{name}: at most {limit} characters"))
        return None
    return text


def _date(raw: Any, name: str, problems: list[FieldProblem]) -> date | None:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    problems.append(FieldProblem((name,), f"{name}: a date written YYYY-MM-DD"))
    return None


def parse_contact(raw: Any, index: int, problems: list[FieldProblem]) -> Contact | None:
    where: tuple[str | int, ...] = ("contacts", index)
    if isinstance(raw, str):  # the short form "tel:+99...", "https://...", "telegram:@name"
        prefix, _, rest = raw.partition(":")
        raw = {"kind": prefix, "value": raw if prefix == "https" else rest}
    if not isinstance(raw, Mapping):
        problems.append(FieldProblem(where, "contacts: each is {kind, value}"))
        return None
    kind, value = raw.get("kind"), raw.get("value")
    if kind not in CONTACT_KINDS:
        problems.append(
            FieldProblem(
                (*where, "kind"), f"contacts: kind must be one of {', '.join(CONTACT_KINDS)}"
            )
        )
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        problems.append(
            FieldProblem((*where, "value"), 'contacts: write the number in quotes, e.g. "+99..."')
        )
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(
            FieldProblem((*where, "value"), f"contacts: a {kind} contact needs a value")
        )
        return None
    value = value.strip()
    if len(value) > MAX_CONTACT_VALUE:
        problems.append(
            FieldProblem((*where, "value"), f"contacts: at most {MAX_CONTACT_VALUE} characters")
        )
        return None
    if kind == "tel":
        if not TEL.match(value):
            problems.append(
                FieldProblem(
                    (*where, "value"),
                    f"contacts: phone number {value!r} must be + and 3-15 digits, no spaces",
                )
            )
            return None
        return Contact("tel", value)
    if kind == "https":
        if not HTTPS.match(value):
            problems.append(
                FieldProblem((*where, "value"), f"contacts: link {value!r} must be an https:// URL")
            )
            return None
        return Contact("https", value)
    match = TELEGRAM.match(value)
    if not match:
        problems.append(
            FieldProblem(
                (*where, "value"),
                f"contacts: Telegram username {value!r} must be 5-32 letters, digits or _",
            )
        )
        return None
    return Contact("telegram", match.group(1))


def check_resource(
    raw: Any,
    regions: Regions,
    *,
    today: date | None = None,
    allow_expired: bool = False,
) -> Checked:
    """Validate one entry in interchange form; every problem is reported, not just the first."""
    problems: list[FieldProblem] = []
    if not isinstance(raw, Mapping):
        return Checked(None, [FieldProblem((), "each resource must be a mapping of fields")])
    for key in raw:
        if key not in FIELDS:
            problems.append(FieldProblem((str(key),), f"unknown field {key!r}"))
    for key in REQUIRED:
        value = raw.get(key)
        if value is None or value == "" or value == []:
            what = "verification: " if key in ("verified_by", "last_verified") else ""
            problems.append(FieldProblem((key,), f"{what}{key} is missing"))
    present = {k: v for k, v in raw.items() if v is not None and v != "" and v != []}

    rid = present.get("id")
    if rid is not None and (not isinstance(rid, str) or not ID.match(rid)):
        problems.append(
            FieldProblem(("id",), "id: 2-40 lower-case letters, digits or - (a stable slug)")
        )
    category = present.get("category")
    if category is not None and category not in CATEGORIES:
        problems.append(FieldProblem(("category",), f"category: one of {', '.join(CATEGORIES)}"))
    name = _text(present.get("name"), "name", MAX_NAME, problems)
    hours = _text(present.get("hours"), "hours", MAX_HOURS, problems)
    source = present.get("source")
    if source is not None and (
        not isinstance(source, str) or len(source) > MAX_SOURCE or not HTTPS.match(source)
    ):
        problems.append(
            FieldProblem(("source",), "source: the https:// page where the entry was checked")
        )

    contacts: list[Contact] = []
    raw_contacts = present.get("contacts")
    if raw_contacts is not None:
        if not isinstance(raw_contacts, list):
            problems.append(FieldProblem(("contacts",), "contacts: a list of {kind, value}"))
        elif len(raw_contacts) > MAX_CONTACTS:
            problems.append(FieldProblem(("contacts",), f"contacts: at most {MAX_CONTACTS}"))
        else:
            for index, item in enumerate(raw_contacts):
                contact = parse_contact(item, index, problems)
                if contact is not None:
                    contacts.append(contact)

    languages: list[str] = []
    raw_languages = present.get("languages")
    if raw_languages is not None:
        if not isinstance(raw_languages, list) or len(raw_languages) > MAX_LANGUAGES:
            problems.append(
                FieldProblem(("languages",), f"languages: a list of at most {MAX_LANGUAGES} codes")
            )
        else:
            for index, code in enumerate(raw_languages):
                if not isinstance(code, str) or not LANGUAGE.match(code):
                    problems.append(
                        FieldProblem(
                            ("languages", index),
                            f"languages: {code!r} is not a language code such as en or ar",
                        )
                    )
                else:
                    languages.append(code)

    codes: list[str] = []
    raw_regions = present.get("regions")
    if raw_regions is not None:
        if not isinstance(raw_regions, list) or len(raw_regions) > MAX_REGIONS:
            problems.append(
                FieldProblem(("regions",), f"regions: a list of at most {MAX_REGIONS} codes")
            )
        else:
            for index, code in enumerate(raw_regions):
                if code == GLOBAL:
                    codes.append(code)
                elif (
                    not isinstance(code, str) or not REGION_CODE.match(code) or code not in regions
                ):
                    problems.append(
                        FieldProblem(("regions", index), f"regions: unknown region code {code!r}")
                    )
                else:
                    codes.append(code)
            if GLOBAL in codes and len(codes) > 1:
                problems.append(
                    FieldProblem(("regions",), "regions: 'global' cannot be mixed with regions")
                )

    verified_by = present.get("verified_by")
    if verified_by is not None and (
        not isinstance(verified_by, str) or not PARTNER_ID.match(verified_by)
    ):
        problems.append(
            FieldProblem(("verified_by",), "verification: verified_by must be a partner id")
        )
    if GLOBAL in codes and verified_by not in (None, EDITORIAL):
        problems.append(
            FieldProblem(
                ("verified_by",),
                f"verification: global entries are verified by {EDITORIAL!r} (the operator)",
            )
        )

    last_verified = (
        _date(present["last_verified"], "last_verified", problems)
        if "last_verified" in present
        else None
    )
    expires = _date(present["expires"], "expires", problems) if "expires" in present else None
    day = today or date.today()
    if last_verified is not None and last_verified > day:
        problems.append(
            FieldProblem(("last_verified",), "verification: last_verified is in the future")
        )
    if last_verified is not None and expires is not None and expires <= last_verified:
        problems.append(FieldProblem(("expires",), "expires: must be after last_verified"))
    if expires is not None and expires < day and not allow_expired:
        problems.append(
            FieldProblem(("expires",), f"expired on {expires.isoformat()}: re-verify or remove it")
        )

    if problems:
        return Checked(None, problems)
    assert isinstance(rid, str) and isinstance(category, str) and name is not None
    assert isinstance(verified_by, str) and isinstance(source, str)
    assert last_verified is not None and expires is not None
    return Checked(
        Resource(
            id=rid,
            category=category,
            name=name,
            contacts=tuple(contacts),
            regions=tuple(dict.fromkeys(codes)),
            verified_by=verified_by,
            last_verified=last_verified,
            expires=expires,
            source=source,
            hours=hours,
            languages=tuple(dict.fromkeys(languages)),
        ),
        [],
    )


def retired(resource: Resource) -> Resource:
    return replace(resource, retired=True)
