"""The web pages in a real browser: Debian's Chromium driven by Playwright, a real uvicorn
on 127.0.0.1, a real SMTP server (aiosmtpd) for the reminder e-mail, one SQLite database.

Everything here is started once per test session (the server, the browser, the mail
server); each test opens its own browser contexts (its own cookies). The browser tests run
on SQLite only: the pages call the same services as the API, whose tests cover PostgreSQL.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from sqlalchemy import Engine
from sqlmodel import Session

from api.app import create_app
from models import Role, Unit, UnitKind
from models.db import get_engine
from models.migrate import upgrade
from settings import get_settings
from tests.servers import SmtpServer, free_port, running_uvicorn
from tests.world import SETUP, WorldBuilder
from tracking import clock
from tracking.deadlines import DeadlineRule

# The other test worker may be running the CPU-heavy attack tests at the same moment: an
# assertion waits as long as an action does before calling a page wrong.
expect.set_options(timeout=15_000)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "Kiem-thu-giao-dien-2026"
AXE = Path(__file__).parent / "vendor" / "axe-core-4.11.0" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 360, "height": 740}


@dataclass
class Person:
    username: str
    full_name: str
    email: str = ""


OFFICE_OFFICER = Person("vp.hoa", "Trần Thị Hoa")
OFFICE_LEADER = Person("vp.minh", "Nguyễn Văn Minh")
COMMUNE_OFFICER = Person("tinhkhe.thu", "Lê Thị Thu", "thu@tinhkhe.example.vn")
OTHER_OFFICER = Person("nghiahanh.nam", "Phạm Văn Nam")
ADMIN = Person("quantri", "Đỗ Quang Huy")


@dataclass
class Site:
    base: str
    engine: Engine
    mailbox: SmtpServer
    units: dict[str, Unit]
    plan_title: str

    def url(self, path: str) -> str:
        return self.base + path

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def _build_world(session: Session) -> tuple[dict[str, Unit], str]:
    build = WorldBuilder(session, actor=SETUP)
    made: dict[str, Unit] = {}
    for key, code, name, short, kind, parent in [
        ("province", "QN", "Ủy ban nhân dân tỉnh Quảng Ngãi", "UBND tỉnh", UnitKind.PROVINCE, None),
        ("office", "QN-VP", "Văn phòng UBND tỉnh", "VP UBND tỉnh", UnitKind.OFFICE, "province"),
        ("commune", "XA-TINHKHE", "UBND xã Tịnh Khê", "Xã Tịnh Khê", UnitKind.COMMUNE, "province"),
        (
            "other",
            "XA-NGHIAHANH",
            "UBND xã Nghĩa Hành",
            "Xã Nghĩa Hành",
            UnitKind.COMMUNE,
            "province",
        ),
    ]:
        made[key] = build.unit(
            code, name, kind, short_name=short, parent=made[parent] if parent else None
        )
    for person, unit, role, title in [
        (OFFICE_OFFICER, "office", Role.OFFICER, "Chuyên viên theo dõi nhiệm vụ"),
        (OFFICE_LEADER, "office", Role.LEADER, "Chánh Văn phòng"),
        (COMMUNE_OFFICER, "commune", Role.OFFICER, "Công chức Văn phòng - Thống kê"),
        (OTHER_OFFICER, "other", Role.OFFICER, "Công chức Văn phòng - Thống kê"),
        (ADMIN, "office", Role.ADMIN, "Quản trị hệ thống"),
    ]:
        build.user(
            person.username,
            full_name=person.full_name,
            unit=made[unit],
            role=role,
            title=title,
            password=PASSWORD,
            email=person.email or None,
        )
    today = clock.today()
    document = build.document(
        "215/KH-UBND",
        issued_on=date(today.year, 1, 2),
        issuer=made["province"],
        signer="Chủ tịch UBND tỉnh",
        summary="Kế hoạch cải cách hành chính và chuyển đổi số năm " + str(today.year),
    )
    title = f"Kế hoạch cải cách hành chính và chuyển đổi số năm {today.year}"
    build.plan(
        title,
        issuer=made["office"],
        document=document,
        sections=["Cải cách thủ tục hành chính", "Chuyển đổi số"],
    )
    return made, title


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    folder = Path(tempfile.mkdtemp(prefix="nhiemvu-web-"))
    port, smtp_port = free_port(), free_port()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "NHIEMVU_DATABASE_URL": f"sqlite:///{folder / 'web.db'}",
            "NHIEMVU_DATA_DIR": str(folder / "data"),
            "NHIEMVU_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "NHIEMVU_SMTP_HOST": "127.0.0.1",
            "NHIEMVU_SMTP_PORT": str(smtp_port),
            "NHIEMVU_SMTP_FROM": "nhacviec@quangngai.example.vn",
        }.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        get_engine.cache_clear()
        engine = get_engine()
        upgrade(engine)
        with Session(engine, expire_on_commit=False) as session:
            made, plan_title = _build_world(session)
            session.commit()
        mailbox = SmtpServer(port=smtp_port)
        mailbox.start()
        app = create_app(settings=get_settings(), engine=engine)
        try:
            with running_uvicorn(app, port=port, lifespan="off", timeout=30):
                yield Site(f"http://127.0.0.1:{port}", engine, mailbox, made, plan_title)
        finally:
            mailbox.stop()
            engine.dispose()
            get_engine.cache_clear()
            get_settings.cache_clear()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-core")
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


class Browsing:
    """Opens browser contexts (each its own cookies) and closes them after the test."""

    def __init__(self, browser: Browser, site: Site) -> None:
        self.browser = browser
        self.site = site
        self.contexts: list[BrowserContext] = []

    def page(self, viewport: dict[str, int] | None = None) -> Page:
        context = self.browser.new_context(
            viewport=viewport or DESKTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return context.new_page()

    def signed_in(self, person: Person, viewport: dict[str, int] | None = None) -> Page:
        page = self.page(viewport)
        page.goto(self.site.url("/login"))
        sign_in(page, person)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def sign_in(page: Page, person: Person) -> None:
    page.get_by_label("Tên đăng nhập").fill(person.username)
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


@pytest.fixture
def browsing(browser: Browser, site: Site) -> Iterator[Browsing]:
    opened = Browsing(browser, site)
    yield opened
    opened.close()


# --- What every page of the scenario must pass ----------------------------------------------

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))
  }));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's CSP (script-src 'self') does
        # not apply, so the page keeps its real policy during the test.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(AXE_RUN)
    return [v for v in found if v["impact"] in ("serious", "critical")]


FOCUSABLE = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  document.querySelectorAll('[data-kb]').forEach(el => el.removeAttribute('data-kb'));
  // checkVisibility() is false inside a closed <details> and under hidden ancestors.
  const items = [...document.querySelectorAll(selector)].filter(el =>
    !el.disabled && el.tabIndex >= 0
    && el.checkVisibility({visibilityProperty: true, opacityProperty: false}));
  // A radio group is one tab stop (arrow keys move inside it): it counts once.
  const groups = new Map();
  let count = 0;
  for (const el of items) {
    const group = el.type === 'radio' && el.name ? 'radio:' + el.name : null;
    if (group && groups.has(group)) { el.setAttribute('data-kb', groups.get(group)); continue; }
    const marker = String(count++);
    if (group) groups.set(group, marker);
    el.setAttribute('data-kb', marker);
  }
  return count;
}"""


def unreachable_by_keyboard(page: Page) -> list[str]:
    """Controls that pressing Tab from the top of the page never reaches."""
    count = page.evaluate(FOCUSABLE)
    page.evaluate(
        "() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }"
    )
    page.locator("body").focus()
    seen: set[str] = set()
    for _ in range(count + 10):
        page.keyboard.press("Tab")
        marker = page.evaluate("() => document.activeElement?.getAttribute('data-kb')")
        if marker is not None:
            seen.add(marker)
        if len(seen) == count:
            break
    missing = [str(i) for i in range(count) if str(i) not in seen]
    return page.evaluate(
        '(ids) => ids.map(i => document.querySelector(`[data-kb="${i}"]`).outerHTML.slice(0, 120))',
        missing,
    )


def check_page(page: Page, checked: dict[str, list[Any]]) -> None:
    """axe-core and the keyboard on the page now shown; findings are gathered by address."""
    name = page.url.split("?")[0].removeprefix(page.url.split("/")[0] + "//").split("/", 1)[1]
    name = "/" + name
    problems = axe_violations(page)
    unreachable = unreachable_by_keyboard(page)
    if problems or unreachable:
        checked[name] = [json.dumps(problems, ensure_ascii=False), unreachable]
    else:
        checked.setdefault(name, [])


def screenshot(page: Page, name: str) -> None:
    """The page at the office PC's size and at a phone's, into out/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    original = page.viewport_size
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.screenshot(
            path=SCREENSHOTS / f"{name}-{size['width']}x{size['height']}.png", full_page=True
        )
    if original:
        page.set_viewport_size(original)


def new_task(site: Site, title: str, lead: str = "commune") -> int:
    """A task the office assigns to a commune (set up through the service, not the pages)."""
    with site.session() as session:
        task = WorldBuilder(session, actor=SETUP).task(
            title,
            issuer=site.units["office"],
            lead=site.units[lead],
            deadline=DeadlineRule.working_days(10),
        )
        session.commit()
        return task.id or 0
