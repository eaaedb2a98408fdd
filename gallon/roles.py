"""The model roles of a GALLON run, in training order (a role's teachers come before it)."""

from __future__ import annotations

from gallon.lm.stage import save_text_model, text_spec
from gallon.train.stage import Role

ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        Role("lm", lambda c: c.lm, lambda c: {}, text_spec, save_text_model),
        Role("gnn", lambda c: c.gnn, lambda c: {}),
        Role("mlp", lambda c: c.student, lambda c: {}),
        Role(
            "student", lambda c: c.student, lambda c: {"gnn": c.distill.alpha, "lm": c.distill.beta}
        ),
        # single-teacher students, for ablations: the same MLP distilled from one teacher only
        Role("student_gnn", lambda c: c.student, lambda c: {"gnn": c.distill.alpha}),
        Role("student_lm", lambda c: c.student, lambda c: {"lm": c.distill.beta}),
    )
}


def ordered(names: tuple[str, ...]) -> list[Role]:
    """The named roles in training order."""
    return [role for name, role in ROLES.items() if name in names]
