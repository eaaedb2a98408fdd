"""Generate the configuration reference (docs/configuration.md) from the dataclasses.

Each key's text is the attribute docstring under its field in its section's dataclass
(gallon/config/); a test compares the generated text with docs/configuration.md, so the two
cannot drift apart.
Regenerate with: python -m gallon.config.reference > docs/configuration.md
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import typing

from gallon.config.schema import Config


def _field_docs(cls: type) -> dict[str, str]:
    """Attribute docstrings of a dataclass: {field: text}."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body
    docs = {}
    for node, after in zip(body, body[1:]):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = " ".join(after.value.value.split())
    return docs


def _type_name(tp) -> str:
    """Readable type without '|' (it would split a Markdown table cell)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        inner = [a for a in args if a is not type(None)]
        return " or ".join(_type_name(a) for a in inner) + " or null"
    if origin is typing.Literal:
        return " / ".join(map(str, args))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"list of {_type_name(args[0])}"
        return f"list of {len(args)} {_type_name(args[0])}"
    return getattr(tp, "__name__", str(tp))


def _default(value) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return (
        "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    )


def rows(cls: type, instance, prefix: str = "") -> list[tuple[str, str, str, str]]:
    hints, docs = typing.get_type_hints(cls), _field_docs(cls)
    out = []
    for f in dataclasses.fields(cls):
        value = getattr(instance, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            out += rows(type(value), value, key + ".")
        else:
            out.append((key, _type_name(hints[f.name]), _default(value), docs.get(f.name, "")))
    return out


def render() -> str:
    cfg = Config()
    lines = [
        "# Configuration reference",
        "",
        "Generated from the dataclasses in `gallon/config/` by",
        "`python -m gallon.config.reference`; a test fails when the two differ. Set keys in a YAML",
        "file (`--config my.yaml`, merged over `jobs/configs/default.yaml`) or on the command line",
        "(`--set section.key=value`).",
        "Values are type-checked; a wrong key or value stops the run with one sentence.",
    ]
    section_docs = _field_docs(Config)
    for f in dataclasses.fields(Config):
        section = getattr(cfg, f.name)
        doc = section_docs.get(f.name) or (inspect.getdoc(type(section)) or "").split("\n")[0]
        lines += ["", f"## `{f.name}`", "", doc, ""]
        lines += ["| key | type | default | meaning |", "|---|---|---|---|"]
        for key, tp, default, text in rows(type(section), section, f"{f.name}."):
            lines.append(f"| `{key}` | `{tp}` | `{default}` | {text} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
