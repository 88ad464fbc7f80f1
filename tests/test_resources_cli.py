"""`waymark resources import|export` and the resources part of `waymark content check`, run as an
operator types them, on a real database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.operator_helpers import operator_environment, run_waymark

ROOT = Path(__file__).resolve().parent.parent

GOOD_YAML = """\
resources:
  - id: north-bakery
    category: food-water
    name: North Bakery (demo)
    contacts:
      - {kind: tel, value: "+9900000777"}
      - {kind: telegram, value: "@north_bakery_demo"}
    regions: [dl-north]
    verified_by: civdef
    last_verified: 2026-11-01
    expires: 2099-01-01
    source: https://demoland.example/bakery
"""

BAD_YAML = """\
resources:
  - id: north-bakery
    category: food-water
    name: North Bakery (demo)
    contacts:
      - {kind: tel, value: "+9900000777"}
    regions: [dl-north]
    verified_by: civdef
    last_verified: 2026-11-01
    expires: 2099-01-01
    source: https://demoland.example/bakery
  - id: bad-entry
    category: food-water
    name: Bad Entry (demo)
    contacts:
      - {kind: tel, value: "call 112"}
      - {kind: https, value: "http://insecure.example/"}
    regions: [dl-north, atlantis]
    last_verified: 2026-11-01
    expires: 2099-01-01
    source: https://demoland.example/bad
"""

BAD_CSV = (
    "id,category,name,contacts,regions,verified_by,last_verified,expires,source\n"
    "ok-entry,shelter,Ok (demo),tel:+9900000778,dl-north,civdef,2026-11-01,2099-01-01,"
    "https://demoland.example/ok\n"
    "bad-row,shelter,Bad (demo),https://x.example,dl-nowhere,civdef,2026-11-01,2020-01-01,"
    "https://demoland.example/bad\n"
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return operator_environment(tmp_path / "data")


def waymark(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_waymark(env, *args)


def exported(env: dict[str, str]) -> str:
    done = waymark(env, "resources", "export", "--format", "csv")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_then_export_round_trips(env: dict[str, str], tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD_YAML)
    done = waymark(env, "resources", "import", str(good))
    assert done.returncode == 0, done.stderr
    assert "1 resources added, 0 updated" in done.stdout
    out = tmp_path / "all.csv"
    assert waymark(env, "resources", "export", "--format", "csv", "--out", str(out)).returncode == 0
    assert "telegram:@north_bakery_demo" in out.read_text()
    again = waymark(env, "resources", "import", str(out))
    assert again.returncode == 0 and "0 resources added, 1 updated" in again.stdout
    data = yaml.safe_load(waymark(env, "resources", "export").stdout)
    assert data["resources"][0]["contacts"][1] == {
        "kind": "telegram",
        "value": "@north_bakery_demo",
    }


def test_a_malformed_yaml_file_changes_nothing_and_names_lines(
    env: dict[str, str], tmp_path: Path
) -> None:
    before = exported(env)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_YAML)
    done = waymark(env, "resources", "import", str(bad))
    assert done.returncode == 1
    lines = BAD_YAML.splitlines()

    def line_of(needle: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if needle in line)

    assert f"bad.yaml:{line_of('call 112')}: contacts: phone number 'call 112'" in done.stderr
    assert f"bad.yaml:{line_of('http://insecure')}: contacts: link" in done.stderr
    assert f"bad.yaml:{line_of('atlantis')}: regions: unknown region code 'atlantis'" in done.stderr
    assert f"bad.yaml:{line_of('id: bad-entry')}: verification: verified_by is missing" in (
        done.stderr
    )
    assert "nothing was imported" in done.stderr
    assert exported(env) == before, "the valid first entry was not imported either"

    broken = tmp_path / "broken.yaml"
    broken.write_text("resources:\n  - id: x\n    name: [unclosed\n")
    done = waymark(env, "resources", "import", str(broken))
    assert done.returncode == 1 and "broken.yaml:" in done.stderr and "YAML" in done.stderr


def test_a_malformed_csv_file_changes_nothing_and_names_rows(
    env: dict[str, str], tmp_path: Path
) -> None:
    before = exported(env)
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_CSV)
    done = waymark(env, "resources", "import", str(bad))
    assert done.returncode == 1
    assert "bad.csv:3: contacts: kind must be one of" not in done.stderr  # https is a kind
    assert "bad.csv:3: regions: unknown region code 'dl-nowhere'" in done.stderr
    assert "bad.csv:3: expired on 2020-01-01" in done.stderr
    assert "bad.csv:2:" not in done.stderr
    assert exported(env) == before


def test_content_check_fails_on_bad_resources_with_file_and_line(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    path = content / "resources.yaml"
    lines = path.read_text().splitlines()
    phone = next(i for i, line in enumerate(lines) if '"+9900000101"' in line)
    lines[phone] = lines[phone].replace('"+9900000101"', '"+99 000 00101"')
    link = next(i for i, line in enumerate(lines) if 'value: "https://familylinks' in line)
    lines[link] = lines[link].replace("https://familylinks", "http://familylinks")
    expires = next(i for i, line in enumerate(lines) if "expires: 2027-11-01" in line)
    lines[expires] = "    expires: 2020-01-01"
    region = next(i for i, line in enumerate(lines) if "regions: [dl-north-hills]" in line)
    lines[region] = "    regions: [dl-north-mountains]"
    verified = max(i for i, line in enumerate(lines) if "verified_by: demo-civdef" in line)
    del lines[verified]
    path.write_text("\n".join(lines) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "content", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "WAYMARK_CONTENT_DIR": str(content)},
    )
    assert done.returncode == 1
    out = done.stdout
    assert f"resources.yaml:{phone + 1}: contacts: phone number" in out
    assert f"resources.yaml:{link + 1}: contacts: link" in out
    assert f"resources.yaml:{expires + 1}: expired on 2020-01-01" in out
    assert f"resources.yaml:{region + 1}: regions: unknown region code 'dl-north-mountains'" in out
    assert "verification: verified_by is missing" in out
