"""Imports between the apps point one way (STYLE.md): crm <- leads <- scoring, assignment <-
conversion. The graph comes from bench/imports.py, which reads the source; `python
bench/imports.py` prints it."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What each app may import, written out here rather than read from the script it checks.
ALLOWED = {
    "crm": set(),
    "leads": {"crm"},
    "scoring": {"crm", "leads"},
    "assignment": {"crm", "leads"},
    "conversion": {"crm", "leads", "scoring", "assignment"},
}


@pytest.fixture(scope="module")
def imports():
    spec = importlib.util.spec_from_file_location("bench_imports", ROOT / "bench" / "imports.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.mark.parametrize("app", ALLOWED)
def test_each_app_imports_only_the_apps_below_it(imports, app):
    edges = [
        edge
        for edge in imports.app_imports()
        if edge.source == app and edge.path not in imports.EXCEPTIONS
    ]

    wrong = [f"{e.path}:{e.line} {e.module}" for e in edges if e.target not in ALLOWED[app]]

    assert wrong == []


def test_the_graph_is_the_one_style_describes(imports):
    graph = imports.app_graph_checked(imports.app_imports())

    assert graph == {
        "crm": set(),
        "leads": {"crm"},
        "scoring": {"crm", "leads"},
        "assignment": {"crm", "leads"},
        # The demo seeder (conversion/management/commands/seed_demo.py) routes and nurtures.
        "conversion": {"crm", "leads", "assignment"},
    }


def test_every_exception_is_still_needed_and_says_why(imports):
    against = {edge.path for edge in imports.violations(imports.app_imports())}

    for path, reason in imports.EXCEPTIONS.items():
        assert path in against, f"{path} keeps the directions now: drop its exception"
        assert reason.strip()


def write(root: Path, path: str, text: str) -> None:
    file = root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text)


def test_the_reader_counts_every_import_and_no_string_reference(imports, tmp_path):
    for app in ALLOWED:
        write(tmp_path, f"{app}/__init__.py", "")
    write(tmp_path, "leads/services/__init__.py", "from ...crm.models import User\n")
    write(tmp_path, "leads/services/edit.py", "from .. import models\nfrom crm import effects\n")
    write(
        tmp_path,
        "scoring/engine.py",
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from assignment.models import Rule\n"
        "def late():\n    import conversion.selectors\n",
    )
    write(
        tmp_path,
        "conversion/models.py",
        'from django.apps import apps\nlead = models.ForeignKey("leads.Lead")\n'
        'Band = apps.get_model("scoring", "GradeBand")\n',
    )
    write(tmp_path, "crm/urls.py", 'urlpatterns = [path("", include("leads.urls"))]\n')
    write(tmp_path, "crm/migrations/0001_initial.py", "import leads.models\n")
    write(tmp_path, "crm/tests/test_x.py", "import scoring\n")

    found = {(e.path, e.target, e.module) for e in imports.app_imports(root=tmp_path)}

    assert found == {
        # `from ... import` climbs from leads/services to the root, where crm is.
        ("leads/services/__init__.py", "crm", "crm.models"),
        ("leads/services/edit.py", "crm", "crm"),
        ("scoring/engine.py", "assignment", "assignment.models"),
        ("scoring/engine.py", "conversion", "conversion.selectors"),
    }
