"""Parameters: the fast and full-run files, ``-p`` overrides, and checking a value against a notebook.

A parameter file is a flat mapping ``NAME: value`` shared by every notebook, plus an optional
``chapters:`` mapping of per-notebook values (``{notebook stem: {NAME: value}}``) that win over
the shared ones. Each notebook receives only the names its cell tagged ``parameters`` declares.

Each value is checked before anything runs: against the declared annotation when there is one
(``DURATION: float | None = 10.0``), else against the type of the default (``EPOCHS = 6`` takes an
integer). ``None``, ``none``, ``null`` and ``~`` all mean ``None`` on the command line, as
papermill's own ``-p NAME None`` does.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bookbuild.layout import BookError, load_yaml

PARAMETERS_TAG = "parameters"
NONE_SPELLINGS = {"none", "null", "~"}
EPOCH_NAMES = ("EPOCHS",)
"""Parameters capped by ``--max-epochs`` (any name equal to one of these or ending in ``_EPOCHS``)."""


def load_params(path: Path) -> dict[str, Any]:
    """Read a parameter file: shared ``NAME: value`` pairs and an optional ``chapters:`` mapping.

    Returns:
        ``{NAME: value, ..., "chapters": {stem: {NAME: value}}}`` (``chapters`` only if present).

    Raises:
        BookError: Not a mapping, a name that is not an identifier, or a nested value elsewhere.
    """
    params = load_yaml(path)
    if not isinstance(params, dict):
        raise BookError(
            f"{path}: expected a mapping NAME: value, got {type(params).__name__}"
        )
    chapters = params.pop("chapters", None) or {}
    if not isinstance(chapters, dict) or not all(
        isinstance(v, dict) for v in chapters.values()
    ):
        raise BookError(
            f"{path}: 'chapters' must map notebook names to mappings of NAME: value"
        )
    for scope, mapping in [("", params)] + [
        (f"chapters.{k}.", v) for k, v in chapters.items()
    ]:
        for key, value in mapping.items():
            if not isinstance(key, str) or not key.isidentifier():
                raise BookError(f"{path}: {scope}{key!r} is not a valid parameter name")
            if isinstance(value, dict):
                raise BookError(
                    f"{path}: {scope}{key} must be a plain value, got a mapping"
                )
    if chapters:
        params["chapters"] = chapters
    return params


def parse_value(text: str) -> Any:
    """A ``-p`` value as YAML, where ``None`` (any case) also means None."""
    text = text.strip()
    if text.lower() in NONE_SPELLINGS or text == "":
        return None
    return yaml.safe_load(text)


def parse_overrides(pairs: Iterable[str]) -> dict[str, Any]:
    """Turn ``["EPOCHS=2", "DURATION=None"]`` into ``{"EPOCHS": 2, "DURATION": None}``.

    A key may name one notebook: ``07_raw_audio.SAMPLE_EPOCHS=1`` changes that chapter only.
    """
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        stem, _, name = key.strip().rpartition(".")
        if (
            not sep
            or not name.isidentifier()
            or (stem and not re.fullmatch(r"[\w-]+", stem))
        ):
            raise BookError(f"-p expects KEY=VALUE or NOTEBOOK.KEY=VALUE, got {pair!r}")
        out[key.strip()] = parse_value(value)
    return out


def apply_overrides(
    params: Mapping[str, Any], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """``params`` with the command line's values on top, at every level.

    A plain ``NAME`` replaces the shared value and every chapter's own value of that name (the
    command line wins over the file); ``stem.NAME`` sets that notebook's value only.
    """
    out = {k: v for k, v in params.items() if k != "chapters"}
    chapters = {
        stem: dict(values) for stem, values in (params.get("chapters") or {}).items()
    }
    for key, value in overrides.items():
        stem, _, name = key.rpartition(".")
        if stem:
            chapters.setdefault(stem, {})[name] = value
        else:
            out[name] = value
            for values in chapters.values():
                values.pop(name, None)
    if chapters:
        out["chapters"] = chapters
    return out


def params_for(params: Mapping[str, Any], stem: str) -> dict[str, Any]:
    """The values one notebook sees: the shared ones, then its ``chapters`` entry on top."""
    shared = {k: v for k, v in params.items() if k != "chapters"}
    return {**shared, **(params.get("chapters") or {}).get(stem, {})}


def cap_epochs(
    params: Mapping[str, Any],
    max_epochs: int | None,
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``params`` with every epoch count above ``max_epochs`` lowered to it (a dress rehearsal).

    ``defaults`` (a notebook's own values, ``{name: default}``) are capped too when ``params`` does
    not set them, so an epoch count the params file leaves at the notebook's default (chapter 8's
    ``PRETRAIN_EPOCHS``) does not escape the cap.
    """
    out = dict(params)
    if max_epochs is None:
        return out
    for key, value in {**(defaults or {}), **params}.items():
        if (
            (key in EPOCH_NAMES or key.endswith("_EPOCHS"))
            and isinstance(value, int)
            and value > max_epochs
        ):
            out[key] = int(max_epochs)
    return out


# --------------------------------------------------------------------------- declared parameters


@dataclass(frozen=True)
class Declared:
    """One name of a notebook's ``parameters`` cell: its default and what it accepts."""

    name: str
    default: Any
    annotation: str | None

    def accepts(self) -> tuple[set[str], str]:
        """``(type names, words)`` this parameter takes: from the annotation, else the default."""
        if self.annotation:
            names = _annotation_types(self.annotation)
        elif isinstance(self.default, bool):
            names = {"bool"}
        elif isinstance(self.default, int):
            names = {"int"}
        elif isinstance(self.default, float):
            names = {"float"}
        elif isinstance(self.default, str):
            names = {"str"}
        elif isinstance(self.default, (tuple, list)):
            names = {"tuple"}
        else:  # None or an expression: anything goes
            names = {"any"}
        words = {
            "int": "an integer",
            "float": "a number",
            "str": "a string",
            "bool": "true or false",
            "tuple": "a list",
            "None": "None",
            "any": "any value",
        }
        return names, " or ".join(
            words[n] for n in sorted(names, key=list(words).index)
        )

    def check(self, value: Any, where: str) -> None:
        """Raise a :class:`BookError` naming the parameter when ``value`` is of a type it does not take."""
        names, words = self.accepts()
        if "any" in names or _matches(value, names):
            return
        raise BookError(
            f"parameter {self.name} of {where} takes {words}, got {value!r} ({type(value).__name__}); "
            f"its default is {self.name} = {self.default!r}. "
            "On the command line write None for None, and numbers without quotes."
        )


def _annotation_types(annotation: str) -> set[str]:
    text = (
        annotation.replace("Optional[", "None|")
        .replace("]", "")
        .replace("Union[", "")
        .replace(",", "|")
    )
    names = set()
    for part in (p.strip() for p in text.split("|")):
        part = {"NoneType": "None", "list": "tuple", "Path": "str"}.get(part, part)
        if part.startswith("tuple") or part.startswith("list"):
            part = "tuple"
        names.add(
            part if part in ("int", "float", "str", "bool", "None", "tuple") else "any"
        )
    return names


def _matches(value: Any, names: set[str]) -> bool:
    if value is None:
        return "None" in names
    if isinstance(value, bool):
        return "bool" in names
    if isinstance(value, int):
        return bool({"int", "float"} & names)
    if isinstance(value, float):
        return "float" in names
    if isinstance(value, str):
        return "str" in names
    if isinstance(value, (list, tuple)):
        return "tuple" in names
    return False


def parameters_cell_source(nb: Any) -> str | None:
    """Source of the cell tagged ``parameters``, or ``None``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and PARAMETERS_TAG in cell.get("metadata", {}).get(
            "tags", []
        ):
            return cell.source
    return None


def declared_parameters(notebook: Path) -> dict[str, Declared]:
    """The names a notebook's ``parameters`` cell assigns, with their defaults and annotations.

    Raises:
        BookError: The cell is not valid Python.
    """
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    source = parameters_cell_source(nb)
    if source is None:
        return {}
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise BookError(
            f"{notebook.name}: its parameters cell is not valid Python: {err}"
        ) from err
    out = {}
    for node in tree.body:
        targets, annotation = [], None
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
        ):
            targets, annotation = [node.target.id], ast.unparse(node.annotation)
        else:
            continue
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            default = None
        for name in targets:
            out[name] = Declared(name, default, annotation)
    return out


def select_parameters(
    declared: Mapping[str, Declared], params: Mapping[str, Any], where: str
) -> dict[str, Any]:
    """The declared subset of ``params``, each value checked against its declaration.

    Raises:
        BookError: A value of a type the parameter does not take (the message names it).
    """
    chosen = {k: v for k, v in params.items() if k in declared}
    for name, value in chosen.items():
        declared[name].check(value, where)
    return chosen
