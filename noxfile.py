"""Developer sessions: `nox` runs tests, lint, typecheck, docs; `nox -s bench` the benchmarks."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nox

# uv makes fresh virtualenvs in seconds; a machine with only pip falls back to virtualenv.
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "wheel", "lint", "typecheck", "docs"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

HERE = Path(__file__).parent
TEST_DEPS = [
    "pytest>=8",
    "hypothesis>=6.100",
    "coverage[toml]>=7.4",
    "jsonschema>=4.21",
    # The web view's tests: Starlette's test client (httpx2) and a real Chromium via selenium
    # (the browser and its driver come from the system: /usr/bin/chromium, never a download).
    "httpx2",
    "selenium>=4.20",
]
EXTRAS = ".[cli,testing,postgres,web]"


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite with branch coverage; fail under 90 %."""
    session.install("-e", EXTRAS, *TEST_DEPS)
    # coverage runs pytest (rather than pytest-cov) because finlink's own pytest plugin is
    # imported before pytest-cov could start measuring, hiding import-time lines.
    session.run("coverage", "erase")
    session.run(
        "coverage",
        "run",
        "-m",
        "pytest",
        *session.posargs,
        env={"PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")},
    )
    session.run("coverage", "report", "--fail-under=90")


@nox.session
def wheel(session: nox.Session) -> None:
    """Build the wheel and sdist, install the wheel with only [cli] in a new venv, try it.

    What a user installs is the wheel, not this checkout: a module that imports something
    the wheel does not declare (pytest, say) passes every test here and fails for them. So
    the wheel goes into a brand-new venv that has nothing but its declared dependencies, and
    tests/installed_smoke.py imports every public module and runs the README's commands.
    """
    session.install("build>=1.2")
    with tempfile.TemporaryDirectory(prefix="finlink-wheel-") as folder:
        dist = Path(folder) / "dist"
        # Without --sdist/--wheel, build makes the sdist and then the wheel *from the sdist*,
        # which also proves the sdist is complete.
        session.run("python", "-m", "build", "--outdir", str(dist), str(HERE))
        [wheel_file] = dist.glob("finlink-*.whl")
        [sdist_file] = dist.glob("finlink-*.tar.gz")
        venv = Path(folder) / "venv"
        session.run("python", "-m", "venv", str(venv))
        bin_dir = venv / ("Scripts" if sys.platform == "win32" else "bin")
        python = str(bin_dir / "python")
        session.run(python, "-m", "pip", "install", "--quiet", f"{wheel_file}[cli]", external=True)
        session.run(
            python,
            "-I",  # isolated: no PYTHON* variables, no user site, no script folder on sys.path
            str(HERE / "tests" / "installed_smoke.py"),
            str(wheel_file),
            str(sdist_file),
            external=True,
        )


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over src, tests and bench."""
    session.install(
        "-e", EXTRAS, "mypy>=1.11", "types-python-dateutil", "types-jsonschema", *TEST_DEPS, "nox"
    )
    session.run("mypy", "--strict")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with warnings as errors."""
    # ruff lets mkdocstrings format signatures.
    session.install(
        "-e", EXTRAS, "mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.26", "ruff"
    )
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        str(HERE / "site"),
        env={"NO_MKDOCS_2_WARNING": "1"},
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Run every script in bench/ and print its figures (``nox -s bench -- --quick``)."""
    session.install("-e", EXTRAS)
    # `nox -s bench -- bench_sync.py --plan 20000` runs one script with its own options;
    # without arguments every script runs with its defaults.
    if session.posargs:
        name, *options = session.posargs
        session.run("python", str(HERE / "bench" / name), *options)
        return
    for script in sorted((HERE / "bench").glob("bench_*.py")):
        session.log(f"== {script.name}")
        session.run("python", str(script))
