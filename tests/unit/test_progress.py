"""The run's progress display: its steps, and how finished steps correct what is left."""

import io

from gallon.config import load_config
from gallon.progress import RunProgress, Step, run_steps
from gallon.roles import own_student_features, transfer_size


def test_steps_follow_the_config():
    cfg = load_config(
        [], ["run.seeds=[0,1]", "run.roles=[gnn,mlp,student]", "distill.transfer=500"]
    )
    steps = run_steps(cfg, n_molecules=1000, n_train=800)
    names = [s.name for s in steps]
    # the students distil from the mean of the teacher seeds: every GNN seed comes first
    assert names == ["features", "transfer set", "gnn seed 0", "gnn seed 1", "mlp seed 0",
                     "student seed 0", "mlp seed 1", "student seed 1"]  # fmt: skip
    own = load_config(
        [], ["run.seeds=[0,1]", "run.roles=[gnn,student]", "distill.teacher_seeds=own"]
    )
    assert [s.name for s in run_steps(own, 1000, 800)][2:] == [
        "gnn seed 0", "student seed 0", "gnn seed 1", "student seed 1"]  # fmt: skip
    by_name = {s.name: s for s in steps}
    epochs = cfg.student.train.epochs
    assert by_name["student seed 0"].items == (800 + 500) * epochs  # the transfer set too
    assert by_name["mlp seed 0"].items == 800 * epochs
    with_lm = run_steps(load_config([], ["run.roles=[lm,gnn]"]), 10, 8)
    assert "explanations" in [s.name for s in with_lm]
    # no role trains on a transfer set without the GNN as its teacher: none is made
    assert "transfer set" not in [s.name for s in with_lm]
    lm_only = load_config([], ["run.roles=[lm,gnn,student_lm]"])
    assert transfer_size(lm_only) == 0 and transfer_size(cfg) == 500


def test_a_finished_seed_sets_what_the_next_seeds_of_its_role_take():
    steps = [Step("gnn seed 0", "gnn", 1000), Step("gnn seed 1", "gnn", 1000),
             Step("mlp seed 0", "mlp", 1000)]  # fmt: skip
    progress = RunProgress(steps, enabled=False)
    steps[0].seconds = 3 * steps[0].prior  # three times slower than the prior
    assert abs(progress.expected(steps[1]) - steps[0].seconds) < 1e-9
    # a role not run yet is scaled by the finished steps' ratio, within bounds
    assert abs(progress.expected(steps[2]) - 3 * steps[2].prior) < 1e-9
    assert progress.remaining() == progress.expected(steps[1]) + progress.expected(steps[2])


def test_off_a_terminal_one_line_per_finished_step():
    stream = io.StringIO()
    progress = RunProgress([Step("features", "features", 10), Step("gnn seed 0", "gnn", 10)],
                           stream=stream)  # fmt: skip
    with progress.step("features"):
        pass
    with progress.step("gnn seed 0"):
        pass
    progress.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("gallon: features done in")
    assert "[1/2]" in lines[0] and "[2/2]" in lines[1] and "left" in lines[1]
    silent = io.StringIO()
    quiet = RunProgress([Step("features", "features", 10)], enabled=False, stream=silent)
    with quiet.step("features"):
        pass
    assert silent.getvalue() == ""


def test_graph_free_features_are_made_only_for_a_graph_free_role():
    teacher_only = run_steps(load_config([], ["run.roles=[lm,gnn]"]), 10, 8)
    with_student = run_steps(load_config([], ["run.roles=[gnn,student]"]), 10, 8)
    assert teacher_only[0].items == 10  # the GNN's features only
    assert with_student[0].items == 20  # and the student's own (lean_morgan)
    assert not own_student_features(load_config([], ["run.roles=[gnn]"]))
    assert own_student_features(load_config([], ["run.roles=[mlp]"]))
    assert not own_student_features(
        load_config([], ["run.roles=[mlp]", "features.student_atoms=rich"])
    )
