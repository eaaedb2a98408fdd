import struct

import pyarrow as pa
from rdkit import Chem

from gallon.explain.cache import ExplanationCache
from gallon.explain.inputs import bond_lines, render_png
from gallon.explain.prompts import Modalities, build_messages, cache_key, load_template
from gallon.explain.stage import _normalize


def test_bond_lines_one_per_bond_in_canonical_order():
    mol = Chem.MolFromSmiles("C=CO")
    assert bond_lines(mol) == [
        "Atom 0 (C) is connected with Atom 1 (C) by a double bond.",
        "Atom 1 (C) is connected with Atom 2 (O) by a single bond.",
    ]
    assert bond_lines(Chem.MolFromSmiles("c1ccccc1"))[0].endswith("by an aromatic bond.")


def test_render_png_size():
    png = render_png(Chem.MolFromSmiles("c1ccccc1O"), 200)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (200, 200)


def test_prompt_follows_switches():
    mol = Chem.MolFromSmiles("CCO")
    full = load_template("bbbp", ["p_np"], "classification", Modalities(image=True))
    msg = build_messages(full, "CCO", bond_lines(mol), b"png")[0]["content"]
    assert [p["type"] for p in msg] == ["text", "image_url"]
    assert "blood-brain barrier" in msg[0]["text"] and "SMILES: CCO" in msg[0]["text"]
    assert msg[1]["image_url"]["url"].startswith("data:image/png;base64,")
    text_only = load_template("bbbp", ["p_np"], "classification", Modalities(bonds=False))
    content = build_messages(text_only, "CCO", [], None)[0]["content"]
    assert (
        isinstance(content, str) and "Bonds" not in content and "list of its bonds" not in content
    )
    assert full.version != text_only.version


def test_user_dataset_gets_generic_question_naming_targets():
    t = load_template("my_assay", ["ic50", "logd"], "regression", Modalities())
    assert "ic50, logd" in t.question and "regression" in t.question


def test_cache_key_depends_on_every_part():
    base = cache_key("CCO", "v1", "m", {"max_tokens": 8, "temperature": 0.0})
    assert base == cache_key("CCO", "v1", "m", {"temperature": 0.0, "max_tokens": 8})
    assert (
        len(
            {
                base,
                cache_key("CCN", "v1", "m", {"max_tokens": 8, "temperature": 0.0}),
                cache_key("CCO", "v2", "m", {"max_tokens": 8, "temperature": 0.0}),
                cache_key("CCO", "v1", "m2", {"max_tokens": 8, "temperature": 0.0}),
                cache_key("CCO", "v1", "m", {"max_tokens": 9, "temperature": 0.0}),
            }
        )
        == 5
    )


def test_cache_success_beats_failure_and_survives_compaction(tmp_path, monkeypatch):
    t = load_template("bbbp", ["p_np"], "classification", Modalities())
    cache = ExplanationCache(tmp_path)
    first = _normalize(
        pa.table(
            {
                "key": ["a", "b"],
                "smiles": ["C", "CC"],
                "__inference_error__": ["", "timeout"],
                "explanation": ["x", ""],
                "prompt_tokens": [5, 0],
                "output_tokens": [2, 0],
                "finish_reason": ["stop", None],
                "error": [None, None],
            }
        ),
        "m",
        t,
    )
    cache.append(first)
    assert cache.successful_keys() == {"a"}
    rows = {r["key"]: r for r in cache.read().to_pylist()}
    assert rows["b"]["error"] == "LLM call failed: timeout" and rows["b"]["explanation"] is None
    retry = first.slice(1, 1).set_column(
        first.schema.get_field_index("error"), "error", pa.array([None], pa.string())
    )
    cache.append(retry)
    assert cache.successful_keys() == {"a", "b"}
    monkeypatch.setattr("gallon.explain.cache.COMPACT_AFTER", 2)
    cache.compact()
    assert len(cache.shards()) == 1 and cache.successful_keys() == {"a", "b"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_groups_style_sends_its_worked_examples_before_the_molecule():
    gallon = load_template("esol", ["y"], "regression", Modalities(bonds=False))
    groups = load_template("esol", ["y"], "regression", Modalities(bonds=False), style="groups")
    messages = build_messages(groups, "CCO", [], None)
    assert [m["role"] for m in messages] == ["user", "assistant"] * len(groups.examples) + ["user"]
    assert "comma-separated list" in messages[-1]["content"] and "CCO" in messages[-1]["content"]
    assert messages[1]["content"] == groups.examples[0][1]
    assert "solubility" not in messages[-1]["content"]  # its own question, not the dataset's
    assert len(build_messages(gallon, "CCO", [], None)) == 1
    assert groups.version != gallon.version
    # with the bond list on, the examples carry theirs too; a diagram only for the molecule
    full = load_template("esol", ["y"], "regression", Modalities(image=True), style="groups")
    messages = build_messages(full, "CCO", bond_lines(Chem.MolFromSmiles("CCO")), b"png")
    assert "Bonds:" in messages[0]["content"] and "diagram" not in messages[0]["content"]
    assert [p["type"] for p in messages[-1]["content"]] == ["text", "image_url"]
