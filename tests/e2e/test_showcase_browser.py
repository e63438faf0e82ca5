"""The showcase (examples/showcase) in a real browser: its chat and its item form.

The app runs under a real server on loopback; Debian's headless Chromium, driven by selenium, uses it as a person
would (tests/e2e/test_debug_page_browser.py has the browser's settings). Its GraphiQL page is tested in
tests/e2e/test_graphql_browser.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any, Callable

import examples.showcase.app as showcase
import pytest
from examples.showcase.app import CHAT, ItemStore
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.e2e.servers import LiveServer, serve
from tests.e2e.test_debug_page_browser import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS

WAIT = 10.0  # seconds for the page to show what it should
ROOMS = (f"browser-{number}" for number in itertools.count())


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: see tests/e2e/test_debug_page_browser.py", pytrace=False)
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def window(browser: webdriver.Chrome) -> Iterator[webdriver.Chrome]:
    """The browser with one window, left on a blank page afterwards (which closes its connections)."""
    yield browser
    for handle in browser.window_handles[1:]:
        browser.switch_to.window(handle)
        browser.close()
    browser.switch_to.window(browser.window_handles[0])
    browser.get("about:blank")


@pytest.fixture
def fresh_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(showcase, "ITEMS", ItemStore([("Lamp", 25.0), ("Chair", 49.5)]))


@pytest.fixture(params=["uvicorn-h11", "hypercorn-trio"])
def site(request: pytest.FixtureRequest, fresh_items: None) -> Iterator[LiveServer]:
    """The showcase, served on asyncio (uvicorn) and on trio (hypercorn)."""
    with serve(str(request.param), showcase.app) as server:
        yield server
    assert CHAT.rooms == {}  # every chat connection ended with the server


def wait_for(driver: webdriver.Chrome, condition: Callable[[], Any], message: str = "") -> Any:
    return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(lambda _: condition(), message)


def text_of(driver: webdriver.Chrome, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def lines_of(driver: webdriver.Chrome) -> list[str]:
    return [line.text for line in driver.find_elements(By.CSS_SELECTOR, "#messages li")]


def wait_for_text(driver: webdriver.Chrome, element_id: str, text: str) -> None:
    wait_for(driver, lambda: text_of(driver, element_id) == text, f"#{element_id} never read {text!r}")


def wait_for_line(driver: webdriver.Chrome, line: str) -> None:
    wait_for(driver, lambda: line in lines_of(driver), f"{line!r} never shown")


def wait_for_members(driver: webdriver.Chrome, room: str, members: int) -> None:
    wait_for(driver, lambda: CHAT.members(room) == members, f"room {room} never had {members} members")


def say(driver: webdriver.Chrome, text: str, name: str | None = None) -> None:
    if name is not None:
        driver.find_element(By.ID, "chat-name").send_keys(name)
    driver.find_element(By.ID, "chat-text").send_keys(text)
    driver.find_element(By.CSS_SELECTOR, "#chat-form button").click()


# --- The chat ----------------------------------------------------------------------------------------------------


def test_chat_in_two_windows(window: webdriver.Chrome, site: LiveServer) -> None:
    room = next(ROOMS)
    page = f"{site.url}/chat?room={room}"
    window.get(page)
    first = window.current_window_handle
    # Connected on load, before saying anything.
    wait_for_line(window, "anonymous (guest) joined (1 here)")
    assert text_of(window, "presence") == "0 others here now."
    assert CHAT.members(room) == 1

    window.switch_to.new_window("window")
    second = window.current_window_handle
    window.get(page)
    wait_for_text(window, "presence", "1 other here now.")
    assert CHAT.members(room) == 2
    window.switch_to.window(first)
    wait_for_text(window, "presence", "1 other here now.")  # the first window's count follows
    wait_for_line(window, "anonymous (guest) joined (2 here)")

    # A message from one window appears in the other; a guest who gives a name speaks under it.
    window.switch_to.window(second)
    say(window, "hello from the second window", name="bea")
    wait_for_line(window, "bea (guest): hello from the second window")
    window.switch_to.window(first)
    wait_for_line(window, "bea (guest): hello from the second window")
    say(window, "hello back")
    wait_for_line(window, "anonymous (guest): hello back")
    assert text_of(window, "presence") == "1 other here now."
    window.switch_to.window(second)
    wait_for_line(window, "anonymous (guest): hello back")

    # Closing the second window leaves the room: the first window's count follows.
    window.close()
    window.switch_to.window(first)
    wait_for_text(window, "presence", "0 others here now.")
    wait_for_line(window, "bea (guest) left (1 here)")
    window.get("about:blank")
    wait_for_members(window, room, 0)


def test_chat_leaves_the_room_while_in_the_back_forward_cache(window: webdriver.Chrome, site: LiveServer) -> None:
    room = next(ROOMS)
    window.get(f"{site.url}/chat?room={room}")
    first = window.current_window_handle
    wait_for_text(window, "presence", "0 others here now.")
    window.switch_to.new_window("window")
    window.get(f"{site.url}/chat?room={room}")
    wait_for_text(window, "presence", "1 other here now.")
    window.execute_script("window.restored = false; addEventListener('pageshow', (e) => { restored = e.persisted; });")

    # Away to another page: this one leaves the room (pagehide), even though the browser keeps it for "back".
    window.get(f"{site.url}/")
    wait_for_members(window, room, 1)
    window.switch_to.window(first)
    wait_for_text(window, "presence", "0 others here now.")

    # Back: the very same page (from the back/forward cache, its script state kept) joins the room again.
    window.switch_to.window(window.window_handles[1])
    window.back()
    wait_for_text(window, "presence", "1 other here now.")
    assert window.execute_script("return window.restored;") is True
    assert lines_of(window).count("anonymous (guest) joined (2 here)") == 2  # joined, left, joined again
    wait_for_members(window, room, 2)
    window.switch_to.window(first)
    wait_for_text(window, "presence", "1 other here now.")
    window.switch_to.window(window.window_handles[1])
    say(window, "back again")
    window.switch_to.window(first)
    wait_for_line(window, "anonymous (guest): back again")


# --- The item form -----------------------------------------------------------------------------------------------


def add_item(driver: webdriver.Chrome, name: str, price: str) -> None:
    form = driver.find_element(By.ID, "item-form")
    for field, value in (("name", name), ("price", price)):
        element = form.find_element(By.NAME, field)
        element.clear()
        element.send_keys(value)
    form.find_element(By.TAG_NAME, "button").click()


def test_item_form_shows_errors_as_text(
    window: webdriver.Chrome, site: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.get(f"{site.url}/")
    add_item(window, "   ", "5")  # passes the browser's checks ("required"), not the API's
    wait_for_text(window, "item-result", "Invalid item. name: required: a non-empty string.")
    assert window.find_element(By.ID, "item-result").get_attribute("class") == "error"

    add_item(window, "Desk", "120")
    wait_for_text(window, "item-result", "created #3")
    assert window.find_element(By.ID, "item-result").get_attribute("class") == ""
    assert "Desk · 120.00" in text_of(window, "items")

    monkeypatch.setattr(showcase, "MAX_ITEMS", 3)
    add_item(window, "Shelf", "10")
    wait_for_text(window, "item-result", "The store is full.")

    monkeypatch.setattr(showcase.ITEMS, "add", None)  # the API fails: its JSON 500 is shown as text too
    monkeypatch.setattr(showcase, "MAX_ITEMS", 10)
    add_item(window, "Shelf", "10")
    wait_for_text(window, "item-result", "Internal Server Error.")
