"""The code examples in README.md and docs/ run, so they cannot rot.

Every fenced ``python`` block of a page runs in order in one namespace per page. A block that
must not run (it needs a real account, say) is fenced as ``py`` instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_examples_run(
    page: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # files an example writes (a state store...) land here
    blocks = _BLOCK.findall(page.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for number, block in enumerate(blocks, start=1):
        code = compile(block, f"{page.name} block {number}", "exec")
        exec(code, namespace)
    capsys.readouterr()


def test_validation_page_shows_what_the_example_prints(capsys: pytest.CaptureFixture[str]) -> None:
    page = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    first = _BLOCK.findall(page)[0]
    exec(compile(first, "validation.md", "exec"), {})
    printed = capsys.readouterr().out.strip()
    assert f"```text\n{printed}\n```" in page


_PY_BLOCK = re.compile(r"^```py\n(.*?)^```", re.MULTILINE | re.DOTALL)
WEB_VIEW = ROOT / "docs" / "howto" / "bookkeepers-web-view.md"


def test_the_web_view_mounting_examples_are_valid_python() -> None:
    # They need FastAPI, Django and a host's own code, so they are fenced ``py`` and do not
    # run; compiling them at least catches a syntax error or a stale keyword argument name.
    blocks = _PY_BLOCK.findall(WEB_VIEW.read_text(encoding="utf-8"))
    assert len(blocks) >= 3, "the FastAPI and Django examples are gone?"
    for number, block in enumerate(blocks, start=1):
        compile(block, f"{WEB_VIEW.name} py block {number}", "exec")


def test_the_web_view_how_to_shows_every_screenshot_the_tests_make() -> None:
    page = WEB_VIEW.read_text(encoding="utf-8")
    shots = sorted(p.name for p in (ROOT / "docs" / "images" / "web").glob("*.png"))
    assert shots, "no screenshots in docs/images/web"
    missing = [name for name in shots if f"](../images/web/{name})" not in page]
    assert missing == []
