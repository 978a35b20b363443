"""The website in headless Debian chromium against the sandbox: two origins, so the browser enforces CORS."""

from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def page():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True, timeout=20_000)
        try:
            page = browser.new_page()
            page.set_default_timeout(5_000)
            yield page
        finally:
            browser.close()


def submit(page, site: str, name: str, email: str) -> None:
    page.goto(site)
    page.get_by_label("Name").fill(name)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Subscribe").click()


def test_form_subscribes_and_the_worker_processes_the_event(page, sandbox_process):
    """The whole local flow from the browser: API -> DynamoDB -> SNS -> SQS -> worker."""
    domain = "browser-form.example.org"
    cross_origin = []
    page.on("request", lambda r: cross_origin.append(r.url) if r.url.startswith(sandbox_process.api) else None)
    submit(page, sandbox_process.site, "Browser Ada", f"browser.ada@{domain}")
    status = page.get_by_role("status")
    status.filter(has_text="Subscribed").wait_for()
    assert status.inner_text() == f"Subscribed: browser.ada@{domain}. Thank you!"
    assert "success" in status.get_attribute("class")
    assert sandbox_process.api + "subscribers" in cross_origin  # the page really called the other origin
    item = sandbox_process.client("dynamodb").get_item(
        TableName=sandbox_process.urls["table"], Key={"email": {"S": f"browser.ada@{domain}"}})["Item"]
    assert item["name"]["S"] == "Browser Ada" and item["createdAt"]["S"].endswith("Z")
    record = sandbox_process.wait_until_worker_processed(domain)
    assert record["type"] == "subscriber.created"
    assert record["result"] == {"welcomed": True, "emailDomain": domain}


def test_invalid_email_shows_the_api_error(page, sandbox_process):
    # The browser's own type=email check accepts ada@localhost; the API does not.
    submit(page, sandbox_process.site, "Ada", "ada@localhost")
    status = page.get_by_role("status")
    status.filter(has_text="e-mail").wait_for()
    assert status.inner_text() == "email must be a valid e-mail address"
    assert "error" in status.get_attribute("class")


def test_browser_blocks_other_origins(page, sandbox_process):
    """The API allows the site's origin only: a page from anywhere else cannot read its answers."""
    script = "url => fetch(url).then(r => r.status, e => 'blocked: ' + e.name)"
    page.goto(sandbox_process.site)
    assert page.evaluate(script, sandbox_process.api + "hello?name=x") == 200
    page.goto("data:text/html,<title>elsewhere</title>")
    assert page.evaluate(script, sandbox_process.api + "hello?name=x") == "blocked: TypeError"


def test_screenshot_page_recovers_the_code(page, sandbox_process, code_screenshot):
    """Drop a rendered screenshot on the OCR page: API job -> presigned upload to (moto) S3 ->
    S3 -> SQS -> ocr worker (Tesseract + layout engine) -> the page shows the code."""
    from tests.ocr.test_layout import indents

    path, source = code_screenshot("shapes.py", size=15, theme="dark")
    page.goto(sandbox_process.site + "ocr.html")
    page.get_by_label("Screenshot").set_input_files(str(path))
    status = page.get_by_role("status")
    status.filter(has_text="Done.").wait_for(timeout=60_000)
    shown = page.locator("#code").text_content()
    assert indents(shown) == indents(source)
    assert shown.splitlines()[0] == "from dataclasses import dataclass"
    assert page.locator("#language").inner_text() == "Language: Python"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=sandbox_process.site.rstrip("/"))
    page.get_by_role("button", name="Copy").click()
    assert page.evaluate("navigator.clipboard.readText()") == shown


def test_screenshot_page_shows_why_an_upload_failed(page, sandbox_process, tmp_path):
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)  # a PNG header and nothing else
    page.goto(sandbox_process.site + "ocr.html")
    page.get_by_label("Screenshot").set_input_files(str(not_an_image))
    status = page.get_by_role("status")
    status.filter(has_text="could not be read").wait_for(timeout=60_000)
    assert "error" in status.get_attribute("class")
