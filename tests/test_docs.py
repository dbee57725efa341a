"""The documentation site builds without a warning, and its generated and hand-kept pages are current."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from flask_consent import config

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

pytest.importorskip("sphinx", reason="Sphinx is in the test extra: pip install -e '.[test]'")
pytest.importorskip("myst_parser", reason="myst-parser is in the test extra: pip install -e '.[test]'")


def compliance_table() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compliance_table", DOCS / "compliance_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sphinx_builds_the_site_without_a_warning(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-d", str(tmp_path / "doctrees"),
         str(DOCS), str(tmp_path / "html")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"sphinx-build -W failed:\n{result.stdout}\n{result.stderr}"
    html = tmp_path / "html"
    api = (html / "api.html").read_text(encoding="utf-8")
    for name in ("Consent", "Purpose", "Cookie", "consent_required", "current_consent", "current_locale",
                 "ConsentState", "Decision", "ConsentRecord", "ConsentStore", "SQLStore", "consent_changed",
                 "ConsentError", "ConfigurationError", "ChoiceError"):
        assert f'id="flask_consent.{name}"' in api, f"the API reference lacks flask_consent.{name}"
    for name in ("dashboard.make_dashboard", "audit.run_audit", "audit.AuditReport"):
        assert f'id="flask_consent.{name}"' in api, f"the API reference lacks flask_consent.{name}"
    for page in ("quickstart", "configuration", "purposes", "theming", "javascript", "login", "gcm", "http", "cli",
                 "deployment", "security", "performance", "compliance", "audit", "shop", "changelog"):
        assert (html / f"{page}.html").is_file(), f"docs/{page} was not built"


def test_the_compliance_page_is_up_to_date() -> None:
    module = compliance_table()
    assert (DOCS / "compliance.rst").read_text(encoding="utf-8") == module.render(), (
        "docs/compliance.rst is out of date with the # C<n> comments in tests/: "
        "run `python docs/compliance_table.py` and commit docs/compliance.rst"
    )


def test_the_compliance_table_finds_citations_on_def_lines_above_and_inside_tests(tmp_path: Path) -> None:
    module = compliance_table()
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_example.py").write_text(
        "def helper():  # C9 in a helper cites nothing\n"
        "    pass\n\n\n"
        "def test_on_the_def_line():  # C1, C6\n"
        "    pass\n\n\n"
        "# C2\n"
        "@decorated\n"
        "def test_below_a_comment():\n"
        "    assert True  # closing records nothing (C7)\n\n\n"
        "class TestGroup:\n"
        "    def test_method(self):  # C30 and 'C33' is not a requirement\n"
        "        '''C5 in a docstring is no citation'''\n",
        encoding="utf-8",
    )
    module.ROOT = tmp_path
    cited = module.all_citations(tests)
    assert cited == {
        1: ["tests/test_example.py::test_on_the_def_line"],
        6: ["tests/test_example.py::test_on_the_def_line"],
        2: ["tests/test_example.py::test_below_a_comment"],
        7: ["tests/test_example.py::test_below_a_comment"],
        30: ["tests/test_example.py::TestGroup::test_method"],
    }


def test_every_config_key_is_on_the_configuration_page() -> None:
    page = (DOCS / "configuration.rst").read_text(encoding="utf-8")
    missing = [key for key in config.defaults() if f"``{key}``" not in page]
    assert not missing, f"docs/configuration.rst does not document {missing}"


def test_readme_is_a_front_door_with_the_two_set_up_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 250
    shell_blocks = re.findall(r"```(?:sh|shell|console|bash)\n(.*?)```", readme, re.S)
    assert [b.strip() for b in shell_blocks if b.strip().startswith("make")] == ["make demo", "make test"]
    assert "pip install flask-consent-log" in readme
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / link).exists(), f"README links to {link}, which does not exist"
