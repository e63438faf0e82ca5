"""The documentation site (mkdocs.yml, docs/) as a reader's browser shows it.

The site is built with ``mkdocs build --strict`` into a temporary directory, served by our own ``StaticFiles``
under uvicorn on loopback, and read by Debian's headless Chromium through selenium. The checks: every page of the
nav loads (200, its title, no 404 page, no browser console error) and fetches nothing from outside this server
(no web fonts, no CDN); the sidebar shows exactly the nav of mkdocs.yml; clicking links moves between pages; and
the search box finds a term and lists results that lead to it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import yaml
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from tests.e2e.servers import serve

ROOT = Path(__file__).resolve().parents[2]
MKDOCS_YML = ROOT / "mkdocs.yml"
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
    "--window-size=1400,1000",  # wide enough for Material to show the navigation sidebar
)
BUILD_TIMEOUT = 180  # seconds; the build takes about 10 s on the 2-CPU development machine
WAIT = 20  # seconds to wait for the browser to reach a state (search runs in a web worker)
SEARCH_TERM = "max_body_size"

# Every resource a page loaded, as the browser's resource timing records it.
RESOURCES_SCRIPT = "return performance.getEntriesByType('resource').map(function (entry) { return entry.name; });"
READY_SCRIPT = "return document.readyState === 'complete';"


def mkdocs_config() -> dict[str, Any]:
    config = yaml.safe_load(MKDOCS_YML.read_text(encoding="utf-8"))
    assert isinstance(config, dict)
    return config


def nav_pages(nav: list[Any]) -> list[tuple[str, str]]:
    """(title, source file) for every page of an mkdocs nav, in order."""
    pages: list[tuple[str, str]] = []
    for entry in nav:
        assert isinstance(entry, dict) and len(entry) == 1, entry
        ((title, value),) = entry.items()
        if isinstance(value, list):
            pages.extend(nav_pages(value))
        else:
            pages.append((str(title), str(value)))
    return pages


def url_path(source: str) -> str:
    """The URL path at which mkdocs (with directory URLs) publishes a page's source file."""
    stem = source.removesuffix(".md")
    if stem == "index":
        return "/"
    if stem.endswith("/index"):
        stem = stem.removesuffix("/index")
    return f"/{stem}/"


CONFIG = mkdocs_config()
SITE_NAME = str(CONFIG["site_name"])
PAGES = nav_pages(CONFIG["nav"])


def test_the_nav_lists_every_page_once() -> None:
    sources = [source for _, source in PAGES]
    assert len(sources) == len(set(sources))
    docs = ROOT / "docs"
    on_disk = {str(path.relative_to(docs)) for path in docs.rglob("*.md") if "_hooks" not in path.parts}
    assert set(sources) == on_disk


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built from this checkout (in a subprocess: mkdocs imports our modules through mkdocstrings)."""
    site = tmp_path_factory.mktemp("docs-site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's end-of-life banner, not a build warning
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(MKDOCS_YML), "-d", str(site)]
    started = time.monotonic()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, f"mkdocs build --strict failed after {elapsed:.1f}s:\n{proc.stdout}\n{proc.stderr}"
    assert (site / "index.html").is_file()
    assert (site / "search" / "search_index.json").is_file()
    return site


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
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, for get_log("browser")
    # An explicit driver path: selenium then never runs Selenium Manager (which would try to download one).
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def docs_url(site_dir: Path) -> Iterator[str]:
    """The built site, served by our StaticFiles (``html=True``: directory URLs get their index.html)."""
    app = Starlette(routes=[Mount("/", StaticFiles(directory=site_dir, html=True))])
    with serve("uvicorn-h11", app) as server:
        yield server.url


def console_errors(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """The console entries logged since the last call that are errors (failed loads, uncaught exceptions)."""
    entries = cast("list[dict[str, Any]]", driver.get_log("browser"))
    return [entry for entry in entries if entry.get("level") == "SEVERE"]


def heading(driver: webdriver.Chrome) -> str:
    return driver.find_element(By.CSS_SELECTOR, "article h1").text.strip()


def text_of(element: WebElement) -> str:
    """An element's text, also when it is hidden (in a collapsed section of the sidebar)."""
    return (element.get_attribute("textContent") or "").strip()


def wait_for_url(driver: webdriver.Chrome, url: str) -> None:
    WebDriverWait(driver, WAIT).until(lambda d: d.current_url == url and d.execute_script(READY_SCRIPT))


def open_page(driver: webdriver.Chrome, url: str) -> None:
    """Load ``url`` and wait until it is the loaded page, with its title.

    On a loaded machine (a CI run beside other jobs) ``get()`` has twice returned before the new page was there: its
    title read empty, its sidebar had no links. So this waits for the page, and loads it once more if it never came;
    the tests' assertions still check everything on it.
    """
    for attempt in (1, 2):
        driver.get(url)
        try:
            WebDriverWait(driver, WAIT).until(
                lambda d: d.current_url == url and d.execute_script(READY_SCRIPT) and d.title
            )
            return
        except TimeoutException:
            if attempt == 2:
                raise


def sidebar_link(driver: webdriver.Chrome, text: str) -> WebElement:
    """The primary navigation's link with this text (exactly one)."""
    links = [
        link
        for link in driver.find_elements(By.CSS_SELECTOR, "nav.md-nav--primary a.md-nav__link")
        if text_of(link) == text
    ]
    assert len(links) == 1, f"{len(links)} sidebar links titled {text!r}"
    return links[0]


def test_every_page_in_the_nav_renders(browser: webdriver.Chrome, docs_url: str) -> None:
    console_errors(browser)  # start from an empty log
    with httpx.Client(base_url=docs_url, timeout=10.0) as http:
        for title, source in PAGES:
            path = url_path(source)
            response = http.get(path)
            assert response.status_code == 200, (path, response.status_code)
            assert response.headers["content-type"].startswith("text/html"), path

            open_page(browser, docs_url + path)
            expected_title = SITE_NAME if path == "/" else f"{title} - {SITE_NAME}"
            assert browser.title == expected_title, (path, browser.title)
            assert heading(browser), f"{path}: no h1"
            assert "404" not in heading(browser), path
            # The sidebar marks this page as the current one.
            active = browser.find_elements(By.CSS_SELECTOR, "nav.md-nav--primary a.md-nav__link--active")
            assert [text_of(link) for link in active] == [title], path
            assert console_errors(browser) == [], path
            # Nothing came from anywhere but this server: no web fonts, no CDN, no analytics.
            resources = cast("list[str]", browser.execute_script(RESOURCES_SCRIPT))
            assert resources, path
            outside = [url for url in resources if not url.startswith(docs_url + "/")]
            assert outside == [], (path, outside)


def test_a_missing_page_is_a_404(browser: webdriver.Chrome, docs_url: str) -> None:
    response = httpx.get(docs_url + "/no-such-page/", timeout=10.0)
    assert response.status_code == 404
    open_page(browser, docs_url + "/no-such-page/")
    assert "404" in heading(browser)
    # The console logs the 404 itself and nothing else: the not-found page's own assets load.
    errors = console_errors(browser)
    assert [entry["message"] for entry in errors if "/no-such-page/ " not in entry["message"]] == []


def test_the_sidebar_shows_the_nav(browser: webdriver.Chrome, docs_url: str) -> None:
    open_page(browser, docs_url + "/")
    links = browser.find_elements(By.CSS_SELECTOR, "nav.md-nav--primary a.md-nav__link[href]")
    targets: list[str] = []
    for link in links:
        href = cast(str, link.get_attribute("href"))
        assert href.startswith(docs_url + "/"), href
        path = href.removeprefix(docs_url)
        if "#" not in path and path not in targets:
            targets.append(path)
    assert targets == [url_path(source) for _, source in PAGES]


def test_clicking_links_moves_between_pages(browser: webdriver.Chrome, docs_url: str) -> None:
    console_errors(browser)  # start from an empty log
    open_page(browser, docs_url + "/")
    assert heading(browser) == "A Starlette-compatible ASGI toolkit"

    # A top-level entry of the sidebar.
    sidebar_link(browser, "Getting started").click()
    wait_for_url(browser, docs_url + "/getting-started/")
    assert heading(browser) == "Getting started"

    # The footer's "next" link follows the nav's order.
    browser.find_element(By.CSS_SELECTOR, "a.md-footer__link--next").click()
    wait_for_url(browser, docs_url + "/distributions/")
    assert heading(browser) == "Distributions"

    # A link in a page's text, to an anchor of another page.
    browser.find_element(By.CSS_SELECTOR, "article a[href$='getting-started/#installing-the-wheels']").click()
    wait_for_url(browser, docs_url + "/getting-started/#installing-the-wheels")
    assert heading(browser) == "Getting started"

    # A page inside a collapsed section of the API reference: open the section, then follow its link.
    labels = browser.find_elements(By.CSS_SELECTOR, "nav.md-nav--primary label.md-nav__link")
    sections = [label for label in labels if text_of(label) == "Middleware"]
    assert len(sections) == 1, [text_of(label) for label in labels]
    sections[0].click()
    link = sidebar_link(browser, "starlette.middleware.cors")
    WebDriverWait(browser, WAIT).until(lambda _: link.is_displayed())
    link.click()
    wait_for_url(browser, docs_url + "/api/middleware/cors/")
    assert heading(browser) == "starlette.middleware.cors"
    assert browser.find_elements(By.ID, "starlette_middleware.cors.CORSMiddleware"), "CORSMiddleware is documented"

    # And back with the footer's "previous" link.
    browser.find_element(By.CSS_SELECTOR, "a.md-footer__link--prev").click()
    wait_for_url(browser, docs_url + "/api/middleware/body_limit/")
    assert heading(browser) == "starlette.middleware.body_limit"
    assert console_errors(browser) == []


def test_the_search_box_finds_a_term(browser: webdriver.Chrome, docs_url: str) -> None:
    console_errors(browser)  # start from an empty log
    open_page(browser, docs_url + "/")
    box = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
    box.click()
    box.send_keys(SEARCH_TERM)

    def results(driver: webdriver.Chrome) -> list[WebElement]:
        return driver.find_elements(By.CSS_SELECTOR, ".md-search-result__item a.md-search-result__link")

    WebDriverWait(browser, WAIT).until(lambda d: len(results(d)) > 0)
    meta = browser.find_element(By.CSS_SELECTOR, ".md-search-result__meta").text
    assert "matching" in meta.lower() or "result" in meta.lower(), meta
    hrefs = [cast(str, link.get_attribute("href")) for link in results(browser)]
    assert any("/security/" in href for href in hrefs), hrefs
    assert all(href.startswith(docs_url + "/") for href in hrefs), hrefs

    # Following a result opens a page that has the term.
    first = results(browser)[0]
    target = cast(str, first.get_attribute("href"))
    first.click()
    wait_for_url(browser, target)
    assert SEARCH_TERM in browser.find_element(By.TAG_NAME, "article").text
    assert console_errors(browser) == []
