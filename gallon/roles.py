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


def teaches(weight: float | None) -> bool:
    """Whether a teacher term with this weight is on: unset (None) means the task type's default
    (`Config.for_task`), which is positive."""
    return weight is None or weight > 0


def ordered(names: tuple[str, ...]) -> list[Role]:
    """The named roles in training order."""
    return [role for name, role in ROLES.items() if name in names]


def training_order(cfg, roles: list[Role] | None = None) -> list[tuple[Role, int]]:
    """(role, seed) pairs in the order a run trains `roles` (default: `run.roles`): seed by
    seed (each seed's student right after its own teachers), or, with
    `distill.teacher_seeds: mean`, every teacher seed first, since each student distils from
    all of them."""
    roles, seeds = roles or ordered(cfg.run.roles), cfg.run.seeds
    if cfg.distill.teacher_seeds != "mean":
        return [(role, seed) for seed in seeds for role in roles]
    taught = {t for r in roles for t, w in r.teachers(cfg).items() if teaches(w)}
    first = [(r, s) for r in roles if r.name in taught for s in seeds]
    return first + [(r, s) for s in seeds for r in roles if r.name not in taught]


def transfer_size(cfg) -> int:
    """Transfer molecules this run needs: `distill.transfer` when it trains the GNN teacher and a
    role distilled from it (only those train on the transfer set), else 0."""
    if "gnn" not in cfg.run.roles:
        return 0
    pupils = any(teaches(r.teachers(cfg).get("gnn", 0)) for r in ordered(cfg.run.roles))
    return cfg.distill.transfer if pupils else 0


def asks_llm(cfg) -> bool:
    """Whether this run explains its molecules: it trains the LM teacher and that teacher reads
    explanations (`lm.text: smiles` reads the SMILES line alone)."""
    return "lm" in cfg.run.roles and cfg.lm.text != "smiles"


def own_student_features(cfg) -> bool:
    """Whether this run featurises the graph-free models separately: `features.student_atoms`
    differs from `features.atoms` and a role in `run.roles` trains a model that ignores bonds
    (a GNN-only teacher benchmark has no use for them)."""
    from gallon.config.schema import NetConfig
    from gallon.models import MODELS

    f = cfg.features
    if f.student_atoms in (None, f.atoms):
        return False
    nets = [r.net(cfg) for r in ordered(cfg.run.roles)]  # the LM's config is not a NetConfig
    return any(not MODELS[n.model].uses_bonds for n in nets if isinstance(n, NetConfig))
