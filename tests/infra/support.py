"""Where the deployment files live and the tools that check them (installed by `make test`:
the checkers into .venv-tools, nginx and docker-compose from Debian's packages)."""

import shutil
from functools import cache
from pathlib import Path

from pycep import BicepParser

BASE_DIR = Path(__file__).resolve().parents[2]
AZURE = BASE_DIR / "infra" / "azure"
SELFHOSTED = BASE_DIR / "infra" / "selfhosted"
TOOLS_BIN = BASE_DIR / ".venv-tools" / "bin"


def tool(name: str) -> str:
    """The tool's path; the test fails (never skips) without it: `make infra-tools`."""
    for candidate in (TOOLS_BIN / name, shutil.which(name)):
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise AssertionError(f"{name} is not installed: run `make infra-tools` (make test does)")


@cache
def bicep(relative: str) -> dict:
    """One template parsed by pycep: parameters, variables, resources, modules, outputs."""
    return BicepParser().parse(file_path=AZURE / relative)


def bicep_files() -> list[Path]:
    return sorted(AZURE.rglob("*.bicep"))


def resources_of_type(resource_type: str) -> list[tuple[str, dict]]:
    """``(module file, resource)`` for every resource of ``resource_type`` in every template."""
    found = []
    for path in bicep_files():
        for resource in bicep(str(path.relative_to(AZURE))).get("resources", {}).values():
            if resource["type"] == resource_type and not resource["existing"]:
                found.append((path.name, resource))
    return found
