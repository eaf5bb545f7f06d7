"""The report in a real browser: headless Chromium (Debian's ``chromium``, with
``fonts-thai-tlwg``; .ci/run installs both) opens the page from a file and the
test reads it back over the DevTools protocol (``cdp.py``, a pipe, no port):
no request leaves the file, nothing is logged as an error, every chart has
drawn, the numbers shown are the tables', the findings table sorts and filters,
and Thai text is drawn with a font that has Thai. A screenshot of the whole page
is saved under the test's temporary folder. Without Chromium the test is
skipped, except on CI (``CI`` set), where that is a failure."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import cdp
from bmaparse.report import write_report
from bmaparse.report._aggregate import NONE
from report_helpers import converted, write_findings

FINDINGS = 300
LIMIT = 250


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = cdp.find_chromium()
    if binary is None:
        message = ("chromium is not installed (apt-get install -y chromium fonts-thai-tlwg;"
                   " .ci/run does)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return binary


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Any:
    """(browser, session, folder, page path, findings) with the report loaded."""
    root = tmp_path_factory.mktemp("browser")
    folder = converted(root)
    findings = write_findings(folder, FINDINGS)
    html = root / "report.html"
    write_report(folder, html, findings_limit=LIMIT)
    with cdp.browser(chromium, root / "profile") as browser:
        session = browser.open_page(html.as_uri())
        yield browser, session, folder, html, findings


def js(page: Any, expression: str) -> Any:
    browser, session, *_ = page
    return browser.evaluate(session, expression)


def test_no_request_leaves_the_file_and_nothing_is_logged(page: Any) -> None:
    browser, session, _, html, _ = page
    js(page, "document.querySelectorAll('.switcher').length")  # let late events arrive
    events = [e for e in browser.events if e.get("sessionId") == session]
    requests = [e["params"]["request"]["url"] for e in events
                if e["method"] == "Network.requestWillBeSent"]
    assert requests == [html.as_uri()]
    errors = [e for e in events if e["method"] == "Runtime.exceptionThrown"
              or (e["method"] == "Runtime.consoleAPICalled"
                  and e["params"]["type"] in ("error", "assert", "warning"))
              or (e["method"] == "Log.entryAdded"
                  and e["params"]["entry"]["level"] in ("error", "warning"))]
    assert errors == []


def test_every_chart_has_drawn(page: Any) -> None:
    # show every panel of every switch in turn, so that hidden charts are measured too
    sizes = js(page, """(() => {
      const out = [];
      const measure = () => document.querySelectorAll('svg.chart').forEach(svg => {
        if (svg.closest('[hidden]')) return;
        const marks = svg.querySelectorAll('rect, path, circle');
        let area = 0;
        marks.forEach(m => { const b = m.getBBox(); area += b.width * b.height; });
        out.push([svg.getAttribute('aria-label'), marks.length, area,
                  svg.getBoundingClientRect().width]);
      });
      measure();
      document.querySelectorAll('.switch').forEach(box => {
        const select = box.querySelector('select');
        for (let i = 1; i < select.options.length; i++) {
          select.value = String(i);
          select.dispatchEvent(new Event('change'));
          box.querySelectorAll('.panel:not([hidden]) svg.chart').forEach(svg => {
            const marks = svg.querySelectorAll('rect, path, circle');
            let area = 0;
            marks.forEach(m => { const b = m.getBBox(); area += b.width * b.height; });
            out.push([svg.getAttribute('aria-label'), marks.length, area,
                      svg.getBoundingClientRect().width]);
          });
        }
        select.value = '0';
        select.dispatchEvent(new Event('change'));
      });
      return out;
    })()""")
    total = js(page, "document.querySelectorAll('svg.chart').length")
    assert len({s[0] for s in sizes}) == total >= 14
    for label, marks, area, width in sizes:
        assert marks > 0 and area > 0 and width > 100, label


def test_numbers_shown_are_the_tables(page: Any) -> None:
    _, _, folder, _, findings = page
    reports = pq.read_table(folder / "reports.parquet")
    diags = pq.read_table(folder / "diagnostics.parquet")
    shown = js(page, """Object.fromEntries([...document.querySelectorAll('.tile b')].map(
        b => [b.dataset.metric, [Number(b.dataset.value), b.textContent]]))""")
    assert shown["reports"] == [reports.num_rows, f"{reports.num_rows:,}"]
    errors = pc.sum(pc.equal(diags["severity"], "error")).as_py()
    assert shown["errors"] == [errors, f"{errors:,}"] and errors > 0
    assert shown["projects"][0] == pq.read_table(folder / "projects.parquet").num_rows
    per_agency = Counter(NONE if a is None else a for a in reports["agency_name"].to_pylist())
    bars = js(page, """[...document.querySelectorAll(
        'svg[aria-label="reports per agency"] g.mark')].map(g => [g.dataset.label,
        Number(g.dataset.value), g.querySelector('text:last-of-type').textContent])""")
    assert len(bars) == 20
    for agency, value, text in bars:
        assert value == per_agency[agency] and text == f"{value:,}"
    assert js(page, "document.querySelector('h3[data-metric=findings]').dataset.value") \
        == str(findings.num_rows)


def test_findings_table_sorts_and_filters(page: Any) -> None:
    _, _, _, _, findings = page
    assert js(page, "document.querySelectorAll('#findings-table tbody tr').length") == LIMIT
    assert js(page, "document.getElementById('findings-count').textContent") \
        == f"{LIMIT} of {LIMIT} rows shown"
    island = json.loads(js(page, "document.getElementById('findings-data').textContent"))
    assert len(island) == min(LIMIT, findings.num_rows) < findings.num_rows
    expected = sum(row[1] == "stale-project" for row in island)
    shown = js(page, """(() => {
      const f = document.getElementById('findings-filter');
      f.value = 'stale-project';
      f.dispatchEvent(new Event('input'));
      return document.querySelectorAll('#findings-table tbody tr').length;
    })()""")
    assert shown == expected > 0
    lines = js(page, """(() => {
      document.querySelector('#findings-table th[data-col="5"]').click();
      return [...document.querySelectorAll('#findings-table tbody tr td:nth-child(6)')]
        .map(td => Number(td.textContent));
    })()""")
    assert lines == sorted(lines) and len(lines) == expected
    cell = js(page, "document.querySelector('#findings-table tbody td:nth-child(7)').textContent")
    assert "<b>not bold</b>" in cell  # shown as text, not markup


def test_thai_is_drawn_with_a_thai_font(page: Any) -> None:
    browser, session, *_ = page
    thai = set(subprocess.run(["fc-list", ":lang=th", "family"], capture_output=True, text=True,
                              check=False).stdout.replace(",", "\n").split("\n")) - {""}
    assert thai, "no font with Thai is installed (apt-get install fonts-thai-tlwg)"
    browser.call("DOM.enable", session)
    browser.call("CSS.enable", session)
    root = browser.call("DOM.getDocument", session)["root"]["nodeId"]
    node = browser.call("DOM.querySelector", session, nodeId=root,
                        selector='svg[aria-label="reports per agency"] text')["nodeId"]
    fonts = browser.call("CSS.getPlatformFontsForNode", session, nodeId=node)["fonts"]
    assert {f["familyName"] for f in fonts} & thai, fonts


def test_screenshot(page: Any, tmp_path: Path) -> None:
    browser, session, *_ = page
    shot = tmp_path / "report.png"
    browser.screenshot(session, shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
