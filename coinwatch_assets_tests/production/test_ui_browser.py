"""UI smoke test in headless Chromium (Debian's package) against the deployment's webserver:
the asset graph shows every group and asset, ohlcv's page shows its partitions and its check
results. Screenshots land in the `deployment-artifacts` folder (path printed; see README).

Playwright drives the browser (executable_path = Debian's chromium, no browser download)
rather than `chromium --dump-dom --virtual-time-budget`: the UI is a React app that fetches
everything over GraphQL after the first paint, and only a driver can wait for the element that
proves a page loaded (bounded by a timeout) and screenshot it at that moment.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from coinwatch_assets.lib.market.grain import month_key
from coinwatch_assets_tests.production.conftest import CLEAN_KEYS, Deployment

CHROMIUM_FLAGS = [
    "--no-sandbox",  # root in CI; the browser only visits 127.0.0.1
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 60_000
PARTITION_KEY = re.compile(r"\d{4}-\d{2}\|[A-Z]+-USDT")  # month|symbol


def chromium_path() -> str:
    # The real binary, not Debian's /usr/bin/chromium wrapper script.
    for candidate in ("/usr/lib/chromium/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("chromium not found: apt-get install -y chromium (.ci/run installs it)")


@pytest.fixture(scope="module")
def page(populated: Deployment, artifacts_dir: Path):
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        context = pw.chromium.launch_persistent_context(
            profile,  # a fresh --user-data-dir
            executable_path=chromium_path(),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1600, "height": 1000},
        )
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            yield page
        finally:
            context.close()


def shot(page: Page, artifacts_dir: Path, name: str) -> None:
    path = artifacts_dir / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def asset_groups(d: Deployment) -> dict[str, set[str]]:
    data = d.api.query("{ assetNodes { assetKey { path } groupName } }")
    groups: dict[str, set[str]] = {}
    for node in data["assetNodes"]:
        groups.setdefault(node["groupName"], set()).add("/".join(node["assetKey"]["path"]))
    return groups


def test_asset_graph_shows_every_group_and_asset(
    populated: Deployment, page: Page, artifacts_dir: Path
) -> None:
    groups = asset_groups(populated)
    assert groups, "the code location has no assets"
    page.goto(f"{populated.stack.url}/asset-groups")
    # With one group the global lineage shows its assets; with several it shows each group
    # as a collapsed node (the per-group pages below show their assets).
    names = set().union(*groups.values()) if len(groups) == 1 else set(groups)
    try:
        for name in names:
            expect(page.get_by_text(name, exact=True).first).to_be_visible()
    finally:
        shot(page, artifacts_dir, "asset-graph")
    # The catalog lists every asset with its group; each group's lineage shows its assets.
    # The list renders only the rows in view: a window tall enough for every asset.
    page.set_viewport_size({"width": 1600, "height": 400 + 60 * len(set().union(*groups.values()))})
    page.goto(f"{populated.stack.url}/assets")
    try:
        for group in groups:
            expect(page.get_by_text(group, exact=True).first).to_be_visible()
    finally:
        shot(page, artifacts_dir, "catalog")
    for group, assets in groups.items():
        page.goto(f'{populated.stack.url}/asset-groups~group:"{group}"')
        try:
            for asset in assets:
                # a group's graph names a prefixed asset by its last key part (the table)
                name = asset.split("/")[-1]
                expect(page.get_by_text(name, exact=True).first).to_be_visible()
        finally:
            shot(page, artifacts_dir, f"group-{group}")


def test_asset_page_shows_partitions_and_check_results(
    populated: Deployment, page: Page, artifacts_dir: Path
) -> None:
    assert populated.wait_backfill() in {"COMPLETED", "COMPLETED_SUCCESS"}
    url = f"{populated.stack.url}/assets/ohlcv"
    page.goto(f"{url}?view=partitions")
    try:
        for key in CLEAN_KEYS:
            expect(page.get_by_text(key).first).to_be_visible()
        month = month_key(date.fromisoformat(populated.days[0]))
        expect(page.get_by_text(month, exact=True).first).to_be_visible()
    finally:
        shot(page, artifacts_dir, "ohlcv-partitions")
    page.goto(f"{url}?view=checks")
    try:
        for check in ("ohlcv_quality", "ohlcv_price_jumps", "ohlcv_freshness"):
            expect(page.get_by_text(check, exact=True).first).to_be_visible()
        # The list shows each check's latest outcome (the schedule keeps launching runs, so a
        # check may be in progress again); the quality check's page its partition.
        expect(page.get_by_text(re.compile(r"^(Succeeded|Failed)$")).first).to_be_visible()
        page.get_by_text("ohlcv_quality", exact=True).first.click()
        expect(page.get_by_text("Evaluation result").first).to_be_visible()
        expect(page.get_by_text(PARTITION_KEY).first).to_be_visible()
    finally:
        shot(page, artifacts_dir, "ohlcv-checks")
