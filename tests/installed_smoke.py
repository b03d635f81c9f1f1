"""Check an installed finlink wheel as a new user meets it (run by ``nox -s wheel``).

Run with the Python of a brand-new venv into which only the wheel with ``[cli]`` was
installed: ``python tests/installed_smoke.py DIST/finlink-….whl DIST/finlink-….tar.gz``. It
is not a pytest module on purpose: the venv it checks has no pytest, and must not.

It checks that the wheel holds ``py.typed`` and the entry points, that the sdist holds what a
rebuild needs, that every public module imports, that the pytest-based suites say which extra
they need, and that the README's first commands work: ``finlink --help``,
``finlink sandbox exact --help``, ``finlink demo`` and ``finlink demo --json``.
"""

from __future__ import annotations

import configparser
import importlib
import importlib.util
import json
import pkgutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

# This script lies in tests/, whose packages (tests/http, say) would shadow the standard
# library's if its folder stayed first on sys.path; only the installed wheel may be found.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

#: Modules of the ``testing`` extra: without pytest they must refuse with the extra's name.
NEEDS_TESTING_EXTRA = (
    "finlink.testing.contract",
    "finlink.testing.store_contract",
    "finlink.testing.pytest_plugin",
)
#: Modules of the ``postgres`` extra: without psycopg they must refuse with the extra's name.
NEEDS_POSTGRES_EXTRA = ("finlink.sync.store.postgres",)
#: The web view: without starlette and jinja2 it must refuse with the extra's name.
NEEDS_WEB_EXTRA = ("finlink.web",)
#: Package data the web view reads at run time: the wheel must hold it.
WEB_DATA = (
    "finlink/web/templates/base.html",
    "finlink/web/templates/review.html",
    "finlink/web/static/finlink.css",
)


def fail(message: str) -> None:
    """Stop with ``message``, the way a check fails."""
    sys.exit(f"installed_smoke: {message}")


def check_wheel(wheel: Path) -> None:
    """The wheel holds the typing marker, the entry points and the declared extras."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        if "finlink/py.typed" not in names:
            fail(f"{wheel.name} has no finlink/py.typed")
        for data in WEB_DATA:
            if data not in names:
                fail(f"{wheel.name} lacks the web view's {data}")
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        parser = configparser.ConfigParser()
        parser.read_string(archive.read(entry_points).decode())
        meta = archive.read(metadata).decode()
    expected = {
        "console_scripts": {"finlink"},
        "finlink.backends": {"exact", "memory", "snelstart"},
        "pytest11": {"finlink"},
    }
    for section, keys in expected.items():
        found = set(parser[section]) if parser.has_section(section) else set()
        if not keys <= found:
            fail(f"entry points [{section}] hold {sorted(found)}, expected {sorted(keys)}")
    for extra in ("cli", "testing", "postgres", "web"):
        if f"Provides-Extra: {extra}" not in meta:
            fail(f"the wheel's metadata does not declare the extra {extra!r}")
    print(f"wheel {wheel.name}: py.typed, entry points and extras present")


def check_sdist(sdist: Path) -> None:
    """The sdist holds the sources, the tests and the build configuration."""
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    needs = ("pyproject.toml", "src/finlink/__init__.py", "src/finlink/py.typed", "tests/")
    for needed in needs:
        # An archive need not list folders, so a folder is there when a file lies in it.
        if not any(
            name == needed or (needed.endswith("/") and name.startswith(needed)) for name in names
        ):
            fail(f"{sdist.name} lacks {needed}")
    print(f"sdist {sdist.name}: sources, tests and pyproject.toml present")


def check_imports() -> None:
    """Every public module imports without pytest; the suites name the extra they need."""
    if importlib.util.find_spec("pytest") is not None:
        fail("pytest is installed in this venv, so the check would prove nothing")
    import finlink

    count = 0
    for info in pkgutil.walk_packages(finlink.__path__, prefix="finlink."):
        parts = info.name.split(".")
        if (
            any(part.startswith("_") for part in parts)
            or info.name in NEEDS_TESTING_EXTRA
            or info.name in NEEDS_POSTGRES_EXTRA
            or info.name.startswith(NEEDS_WEB_EXTRA)
        ):
            continue  # private, __main__ (it runs the command), or an extra's
        importlib.import_module(info.name)
        count += 1
    for name in NEEDS_TESTING_EXTRA:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if "finlink[testing]" not in str(exc):
                fail(f"{name} without pytest says {exc!s}, not which extra to install")
        else:
            fail(f"{name} imported without pytest")
    check_postgres_extra()
    check_web_extra()
    print(
        f"{count} public modules import; the pytest suites ask for finlink[testing], "
        "PostgresStore for finlink[postgres]"
    )


def check_postgres_extra() -> None:
    """Without psycopg, the PostgreSQL store says which extra to install; the rest works."""
    if importlib.util.find_spec("psycopg") is not None:
        fail("psycopg is installed in this venv, so the check would prove nothing")
    for name in NEEDS_POSTGRES_EXTRA:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if "finlink[postgres]" not in str(exc):
                fail(f"{name} without psycopg says {exc!s}, not which extra to install")
        else:
            fail(f"{name} imported without psycopg")
    from finlink import ConfigurationError
    from finlink.sync import store

    try:
        _ = store.PostgresStore
    except ConfigurationError as exc:
        if "finlink[postgres]" not in str(exc):
            fail(f"PostgresStore without psycopg says {exc!s}, not which extra to install")
    else:
        fail("PostgresStore was found without psycopg")


def check_web_extra() -> None:
    """Without starlette, the web view says which extra to install; ``finlink serve`` too."""
    if importlib.util.find_spec("starlette") is not None:
        fail("starlette is installed in this venv, so the check would prove nothing")
    for name in NEEDS_WEB_EXTRA:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if "finlink[web]" not in str(exc):
                fail(f"{name} without starlette says {exc!s}, not which extra to install")
        else:
            fail(f"{name} imported without starlette")


def run(*arguments: str, cwd: Path) -> str:
    """Run the installed ``finlink`` command; return its standard output."""
    command = [str(Path(sys.executable).parent / "finlink"), *arguments]
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)
    if done.returncode != 0:
        fail(f"`finlink {' '.join(arguments)}` exited {done.returncode}:\n{done.stderr}")
    print(f"finlink {' '.join(arguments)}: ok")
    return done.stdout


def check_commands() -> None:
    """The README's first commands run and the demo's JSON summary parses."""
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        if "Usage:" not in run("--help", cwd=cwd):
            fail("`finlink --help` printed no usage")
        if "Usage:" not in run("sandbox", "exact", "--help", cwd=cwd):
            fail("`finlink sandbox exact --help` printed no usage")
        command = [str(Path(sys.executable).parent / "finlink"), "serve", "--demo"]
        done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)
        if done.returncode != 2 or "finlink[cli,web]" not in done.stderr:
            fail(f"`finlink serve` without the web extra said: {done.stderr}")
        print("finlink serve without the web extra: names the extra")
        text = run("demo", "--size", "300", cwd=cwd)
        if "State store" not in text or not (cwd / "finlink-demo.db").exists():
            fail(f"`finlink demo` did not end with its summary:\n{text}")
        summary = json.loads(run("demo", "--json", "--size", "300", cwd=cwd))
        administrations = summary["administrations"]
        if len(administrations) < 2:
            fail(f"the demo's JSON summary names {len(administrations)} administration(s)")
        for administration in administrations:
            if not administration["relations"].get("created"):
                fail(f"the demo created no relation in {administration['administration']}")


def main() -> None:
    """Run every check on the wheel and sdist named on the command line."""
    wheel, sdist = (Path(argument) for argument in sys.argv[1:3])
    check_wheel(wheel)
    check_sdist(sdist)
    check_imports()
    check_commands()
    print("installed_smoke: the wheel works on a clean venv with only [cli]")


if __name__ == "__main__":
    main()
