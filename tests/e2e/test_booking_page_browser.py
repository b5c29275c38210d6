"""The booking page in a real browser: Debian's Chromium driven by Playwright, against a real
`montu-desktop serve`. A patient books with the keyboard, sees the confirmation, the desk sees
the booking within 2 s, and the patient cancels through the manage link. Screenshots at 360 and
1366 px wide are saved (MONTU_SCREENSHOTS names a folder to keep them in).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.services.reference import clinic_policy
from tests.e2e.test_api import Server
from tests.support.clinic import at, tiny_clinic

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _need_browser() -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append("Debian's chromium package")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package")
    if missing:
        reason = " and ".join(missing) + " (./scripts/bootstrap installs both)"
        if os.environ.get("CI") == "true":
            pytest.fail("the browser test needs " + reason)
        pytest.skip("needs " + reason)


@pytest.fixture
def clinic(any_db) -> ServiceContext:
    ctx = ServiceContext(any_db)
    tiny_clinic(ctx, doctors=2)
    return ctx


@pytest.fixture
def server(any_db, clinic, tmp_path: Path) -> Iterator[Server]:
    running = Server(any_db.url.render_as_string(hide_password=False), tmp_path / "serve.log")
    yield running
    if running.process.poll() is None:
        running.stop()


@pytest.fixture
def browser() -> Iterator[object]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def _keep(shot: Path) -> Path:
    folder = os.environ.get("MONTU_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(shot, Path(folder) / shot.name))
    return shot


def test_a_patient_books_with_the_keyboard_the_desk_sees_it_and_the_link_cancels_it(
    clinic, server, browser, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    label = request.node.callspec.id
    zone = clinic_policy(clinic).timezone
    today = to_local(clinic.clock(), zone).date()
    day = today + timedelta(days=7 - today.weekday() + 1)  # Tuesday next week
    start = to_local(at(day, 10, 30), zone)

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(server.base + "/book")
    page.get_by_role("link", name="Standard (15 min)").click()
    shots = [tmp_path / f"book-week-1366-{label}.png"]
    page.screenshot(path=str(shots[-1]), full_page=True)
    page.get_by_role("link", name="Next week").click()
    page.get_by_role("button", name=f"{day:%A} {day.day} {day:%B} at 10:30 am").click()

    # The details form, filled with the keyboard alone: Tab goes field by field in order.
    page.get_by_label("Given name").focus()
    order = []
    for text in ("Ada", "Lovelace", "10/12/1985", "0412 345 678", "ada@example.com", "sore knee"):
        order.append(page.evaluate("document.activeElement.id"))
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    assert order == ["given", "family", "dob", "phone", "email", "note"]
    assert page.evaluate("document.activeElement.textContent") == "Book this appointment"
    page.set_viewport_size({"width": 360, "height": 800})
    shots.append(tmp_path / f"book-details-360-{label}.png")
    page.screenshot(path=str(shots[-1]), full_page=True)

    page.keyboard.press("Enter")
    page.wait_for_url("**/manage/**")
    status = page.get_by_role("status")
    assert status.count() == 1, page.inner_text("main")
    booked_at = time.monotonic()
    assert "Your appointment is booked" in status.inner_text()
    text = page.inner_text("main")
    assert f"{day:%A} {day.day} {day:%B}" in text and "10:30 am" in text
    assert "Dr " in text and "1 Test St" in text
    shots.append(tmp_path / f"book-confirmation-360-{label}.png")
    page.screenshot(path=str(shots[-1]), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    shots.append(tmp_path / f"book-confirmation-1366-{label}.png")
    page.screenshot(path=str(shots[-1]), full_page=True)

    # The desk: the day book read from the database shows it within 2 s.
    seen = None
    while time.monotonic() - booked_at < 2:
        seen = next((a for a in day_book(clinic, day).appointments if a.start == start), None)
        if seen:
            break
        time.sleep(0.05)
    assert seen is not None and seen.patient_name.startswith(("Ada", "Lovelace"))
    assert time.monotonic() - booked_at < 2

    # The manage link from the confirmation page cancels it.
    link = page.locator("a.link").get_attribute("href")
    assert link and "/manage/" in link
    page.goto(server.base + link if link.startswith("/") else link)
    page.get_by_role("button", name="Cancel this appointment").click()
    page.wait_for_url("**/cancel")
    assert "is cancelled" in page.get_by_role("status").inner_text()
    assert all(a.start != start for a in day_book(clinic, day).appointments)

    # A bad field: the message is beside it and read out (role=alert), nothing booked.
    page.goto(server.base + "/book?type=Standard")
    page.get_by_role("link", name="Next week").click()
    page.get_by_role("button", name=f"{day:%A} {day.day} {day:%B} at 11:00 am").click()
    page.get_by_label("Given name").fill("Ada")
    page.get_by_label("Family name").fill("Lovelace")
    page.get_by_label("Date of birth").fill("31/31/1985")
    page.get_by_label("Email (optional)").fill("ada@example.com")
    page.get_by_role("button", name="Book this appointment").click()
    page.wait_for_url("**/book")
    assert "is not a date like 31/12/1980" in page.locator("#dob-error").inner_text()
    assert page.get_by_role("alert").count() == 1
    assert page.evaluate("document.activeElement.id") == "dob"
    page.set_viewport_size({"width": 360, "height": 800})
    shots.append(tmp_path / f"book-error-360-{label}.png")
    page.screenshot(path=str(shots[-1]), full_page=True)
    # The page fits a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert all(a.start != at(day, 11) for a in day_book(clinic, day).appointments)
    for shot in shots:
        assert shot.stat().st_size > 5000
        _keep(shot)


def test_the_embed_page_shows_inside_an_allowed_site_and_the_plain_page_does_not(
    clinic, server, browser, tmp_path: Path
) -> None:
    """A clinic website on another origin frames /book?embed=1 (its origin is on a live key);
    the plain /book refuses to be framed, and a site not on any key cannot frame either."""
    import http.server
    import threading

    from montu_desktop.services import online

    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        "<!doctype html><title>Clinic site</title><h1>Our clinic</h1>"
        f'<iframe id="embed" src="{server.base}/book?embed=1&type=Standard" '
        'title="Book an appointment" style="width:100%;height:700px"></iframe>'
        f'<iframe id="plain" src="{server.base}/book" title="plain"></iframe>'
    )

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, *_args: object) -> None:
            pass

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{web.server_address[1]}"
    try:
        online.create_api_key(clinic, "website", "availability", origin=origin)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(origin + "/index.html")
        embed = page.frame_locator("#embed")
        try:
            embed.get_by_role("link", name="Next week").wait_for(timeout=20_000)
        except Exception as exc:  # say what the frame and the server saw
            frames = [(f.url, f.content()[:300]) for f in page.frames]
            raise AssertionError(f"{frames}\n{server.output.read_text()[-2000:]}") from exc
        assert embed.get_by_role("heading", name="Book an appointment").count() == 1
        shot = tmp_path / "book-embedded-1366.png"
        page.screenshot(path=str(shot), full_page=True)
        _keep(shot)
        # The plain page is refused inside a frame: its frame holds no booking page.
        time.sleep(0.5)
        plain = page.frame_locator("#plain")
        assert plain.get_by_role("heading", name="Book an appointment").count() == 0

        online.revoke_api_key(clinic, "website")
        page.goto(origin + "/index.html")
        time.sleep(1)
        assert page.frame_locator("#embed").get_by_role("link", name="Next week").count() == 0
    finally:
        web.shutdown()
