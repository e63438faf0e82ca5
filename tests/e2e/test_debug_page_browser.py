"""The debug error page (``ServerErrorMiddleware(debug=True)``) as a real browser lays it out.

The app runs under uvicorn on loopback; Debian's headless Chromium, driven by selenium, loads the page. The checks
read element geometry (``getBoundingClientRect``): each source line of a frame is its own row, rows are in
line-number order and none overlaps the next; and a frame's collapse button hides and shows that frame's source.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn, TypedDict, cast

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tests.e2e.servers import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Headless, and nothing that reaches for the network (it is closed here: Chromium would keep trying Google).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=800,600",  # narrower than some source lines
)
# Layout positions are fractional CSS pixels; a real overlap is several pixels (padding, borders).
EPSILON = 0.5
MINUS = "\u2012"  # the button's label on an expanded frame ("&#8210;")


def innermost() -> NoReturn:
    values = {"a": 1, "b": "<b>not bold</b>"}
    text = "  indented   with   runs   of   spaces  "
    wide = "this source line is wider than the browser window that shows it, so the row has to scroll " * 2
    raise RuntimeError(f"kaboom from the browser test {values} {text!r} {len(wide)}")


def middle() -> NoReturn:
    innermost()


async def boom(request: Request) -> Response:
    middle()


def recurse(depth: int) -> NoReturn:
    if depth == 0:
        raise RuntimeError("bottom reached")
    recurse(depth - 1)


async def recursive(request: Request) -> Response:
    recurse(3)


# Code from a "file" whose name needs escaping in HTML and in a CSS selector (and has no source to show).
GENERATED_FILENAME = 'generated "quoted" <name>\\ with spaces.py'
GENERATED: dict[str, Any] = {}
exec(
    compile("def generated():\n    raise RuntimeError('from generated code')\n", GENERATED_FILENAME, "exec"), GENERATED
)


async def generated(request: Request) -> Response:
    GENERATED["generated"]()
    raise AssertionError("generated() returned")


def debug_app() -> Starlette:
    routes = [Route("/boom", boom), Route("/recursive", recursive), Route("/generated", generated)]
    return Starlette(debug=True, routes=routes)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found: these tests need Debian's Chromium and its driver "
            "(apt-get install -y --no-install-recommends chromium chromium-driver; .ci/run installs them)",
            pytrace=False,
        )
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    # An explicit driver path: selenium then never runs Selenium Manager (which would try to download one).
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def debug_url() -> Iterator[str]:
    with serve("uvicorn-h11", debug_app()) as server:
        yield server.url


class Row(TypedDict):
    text: str
    lineno: str
    top: float
    bottom: float
    lineno_height: float


# For each child of a frame's source block (one per source line): its text, its line number, and the vertical
# extent of everything it paints (the line and all its descendants: an inline box's padding and borders stick out
# of its line box, so the line's own rectangle is not enough).
ROWS_SCRIPT = """
var source = arguments[0];
return Array.prototype.map.call(source.children, function (line) {
    var boxes = [line].concat(Array.prototype.slice.call(line.querySelectorAll("*"))).map(function (element) {
        return element.getBoundingClientRect();
    });
    var lineno = line.querySelector(".lineno");
    return {
        text: line.textContent,
        lineno: lineno.textContent,
        top: Math.min.apply(null, boxes.map(function (box) { return box.top; })),
        bottom: Math.max.apply(null, boxes.map(function (box) { return box.bottom; })),
        lineno_height: lineno.getBoundingClientRect().height
    };
});
"""

# The bottom of everything a frame's header paints, and the top of its source block.
HEADER_SCRIPT = """
var header = arguments[0];
var boxes = [header].concat(Array.prototype.slice.call(header.querySelectorAll("*"))).map(function (element) {
    return element.getBoundingClientRect();
});
return Math.max.apply(null, boxes.map(function (box) { return box.bottom; }));
"""


def height_of(driver: webdriver.Chrome, element: WebElement) -> float:
    return cast(float, driver.execute_script("return arguments[0].getBoundingClientRect().height;", element))


def rows_of(driver: webdriver.Chrome, source: WebElement) -> list[Row]:
    return cast("list[Row]", driver.execute_script(ROWS_SCRIPT, source))


def frames(driver: webdriver.Chrome) -> list[tuple[WebElement, WebElement, WebElement]]:
    """Each frame's header, collapse button and source block, innermost frame first."""
    headers = driver.find_elements(By.CSS_SELECTOR, ".traceback-container p.frame-line")
    buttons = driver.find_elements(By.CSS_SELECTOR, ".collapse-btn")
    sources = driver.find_elements(By.CSS_SELECTOR, ".source-code")
    assert len(headers) == len(buttons) == len(sources) > 0
    return list(zip(headers, buttons, sources))


def assert_rows_do_not_overlap(driver: webdriver.Chrome, header: WebElement, source: WebElement) -> list[Row]:
    rows = rows_of(driver, source)
    assert rows, "a frame with source shows at least its current line"
    numbers = [int(re.sub(r"\D", "", row["lineno"])) for row in rows]
    assert numbers == list(range(numbers[0], numbers[0] + len(rows))), numbers
    header_bottom = cast(float, driver.execute_script(HEADER_SCRIPT, header))
    assert header_bottom <= rows[0]["top"] + EPSILON, (header_bottom, rows[0])
    for above, below in zip(rows, rows[1:]):
        assert above["bottom"] <= below["top"] + EPSILON, f"overlapping rows:\n{above}\n{below}"
    for row in rows:
        height = row["bottom"] - row["top"]
        # A row is one line of text: taller than nothing, shorter than two lines (no wrapping).
        assert 0 < row["lineno_height"] <= height < 2 * row["lineno_height"], row
    return rows


def test_each_source_line_is_its_own_row(browser: webdriver.Chrome, debug_url: str) -> None:
    browser.get(f"{debug_url}/boom")
    assert "kaboom from the browser test" in browser.find_element(By.TAG_NAME, "h2").text

    all_frames = frames(browser)
    header, _, source = all_frames[0]
    assert "innermost" in header.text
    rows = assert_rows_do_not_overlap(browser, header, source)
    # The raising line is among them, with its text as written (HTML and runs of spaces shown, not interpreted).
    texts = [row["text"].replace("\xa0", " ") for row in rows]
    assert any('raise RuntimeError(f"kaboom from the browser test' in text for text in texts), texts
    assert any('"<b>not bold</b>"' in text for text in texts), texts
    assert any('"  indented   with   runs   of   spaces  "' in text for text in texts), texts

    # Every other frame (from the framework's own source), once expanded, is laid out the same way.
    for header, button, source in all_frames[1:]:
        assert not source.is_displayed()
        button.click()
        assert source.is_displayed()
        assert_rows_do_not_overlap(browser, header, source)


def test_the_collapse_button_toggles_its_frame(browser: webdriver.Chrome, debug_url: str) -> None:
    browser.get(f"{debug_url}/boom")
    all_frames = frames(browser)
    (_, first_button, first_source), (_, second_button, second_source) = all_frames[:2]
    # The innermost frame is expanded, the callers collapsed.
    assert first_source.is_displayed() and first_button.text == MINUS
    assert not any(source.is_displayed() for _, _, source in all_frames[1:])
    assert all(button.text == "+" for _, button, _ in all_frames[1:])

    first_button.click()
    assert not first_source.is_displayed()
    assert height_of(browser, first_source) == 0
    assert first_button.text == "+"

    second_button.click()
    assert second_source.is_displayed() and second_button.text == MINUS
    assert not first_source.is_displayed()  # the other frame stays as it was

    first_button.click()
    assert first_source.is_displayed() and first_button.text == MINUS
    assert height_of(browser, first_source) > 0
    assert second_source.is_displayed()


def test_frames_of_the_same_line_toggle_separately(browser: webdriver.Chrome, debug_url: str) -> None:
    """Recursion gives several frames of one file and line (so one element id): each button toggles its own."""
    browser.get(f"{debug_url}/recursive")
    recursion = [frame for frame in frames(browser) if "in recurse" in frame[0].text]
    assert len(recursion) == 4
    ids = [cast(Any, button.get_attribute("data-frame-id")) for _, button, _ in recursion[1:]]
    assert len(set(ids)) == 1  # the three calls of recurse(depth - 1) share file and line

    sources = [source for _, _, source in recursion]
    assert [source.is_displayed() for source in sources] == [True, False, False, False]
    recursion[2][1].click()
    assert [source.is_displayed() for source in sources] == [True, False, True, False]
    recursion[3][1].click()
    assert [source.is_displayed() for source in sources] == [True, False, True, True]
    recursion[2][1].click()
    assert [source.is_displayed() for source in sources] == [True, False, False, True]
    assert [button.text for _, button, _ in recursion] == [MINUS, "+", "+", MINUS]


def test_a_frame_with_an_odd_file_name_toggles(browser: webdriver.Chrome, debug_url: str) -> None:
    browser.get(f"{debug_url}/generated")
    all_frames = frames(browser)
    header, button, source = all_frames[0]
    assert header.text.startswith(GENERATED_FILENAME + ", line 2, in generated")
    assert button.get_attribute("data-frame-id") == f"{GENERATED_FILENAME}-2"
    assert source.get_attribute("id") == f"{GENERATED_FILENAME}-2"
    assert rows_of(browser, source) == []  # no source to show

    button.click()
    assert button.text == "+" and "collapsed" in cast(str, source.get_attribute("class"))
    button.click()
    assert button.text == MINUS and "collapsed" not in cast(str, source.get_attribute("class"))
    # The caller's frame (this module, with source) toggles as well.
    _, caller_button, caller_source = all_frames[1]
    caller_button.click()
    assert caller_source.is_displayed() and caller_button.text == MINUS
