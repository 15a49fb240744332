"""Set-up files agree with each other, and a CPU install pulls no CUDA build."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(requirement: str) -> str:
    """Lower-case name, no spaces: 'Scikit-Learn >=1.4' and 'scikit-learn>=1.4' compare equal."""
    name, rest = re.match(r"\s*([A-Za-z0-9_.\-\[\]]+)(.*)", requirement).groups()
    return name.lower().replace("_", "-") + re.sub(r"\s+", "", rest).replace('"', "'")


def _pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in ("cpu", "book", "dev"):
        reqs += project["optional-dependencies"][extra]
    return {_normalise(r) for r in reqs}


def _environment_requirements() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return {_normalise(r) for r in pip if not r.startswith("-e")}


def test_environment_yml_matches_pyproject():
    in_pyproject, in_environment = (
        _pyproject_requirements(),
        _environment_requirements(),
    )
    assert in_pyproject == in_environment, (
        f"only in pyproject.toml: {sorted(in_pyproject - in_environment)}; "
        f"only in environment.yml: {sorted(in_environment - in_pyproject)}"
    )


def test_jupyter_book_is_pinned_below_2():
    assert any(
        r.startswith("jupyter-book") and "<2" in r for r in _pyproject_requirements()
    )


def test_core_dependencies_leave_colab_tensorflow_and_keras_alone():
    core = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]
    assert not [r for r in core if re.match(r"(tensorflow|keras|tf-)", r, re.I)]


def test_cpu_install_has_no_cuda_libraries():
    cuda = [
        d.metadata["Name"]
        for d in metadata.distributions()
        if d.metadata["Name"].lower().startswith("nvidia-")
    ]
    assert not cuda, f"CUDA wheels installed into a CPU environment: {cuda}"
