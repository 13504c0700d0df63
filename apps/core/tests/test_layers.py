"""The README's dependency diagram is the import-linter contract, drawn."""

import re
import tomllib

from django.conf import settings


def _contract_layers() -> list[str]:
    config = tomllib.loads((settings.BASE_DIR / "pyproject.toml").read_text())
    (contract,) = [
        c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == "Apps depend one way"
    ]
    assert contract["type"] == "layers" and contract["containers"] == ["apps"]
    return contract["layers"]


def _readme_diagram() -> list[str]:
    readme = (settings.BASE_DIR / "README.md").read_text()
    section = readme[readme.index("App dependencies, highest first") :]
    block = re.search(r"```\n(.*?)```", section, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip() not in ("", "▼")]


def test_the_readme_diagram_is_the_layers_contract():
    assert _readme_diagram() == _contract_layers()


def test_every_app_has_its_place_in_the_layers():
    placed = {app.strip() for layer in _contract_layers() for app in layer.split("|")}
    installed = {app.split(".")[1] for app in settings.INSTALLED_APPS if app.startswith("apps.")}
    assert placed == installed
