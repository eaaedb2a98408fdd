"""The explanation-quality checks measure what they say."""

from gallon.explain.quality import measure, named_groups, near_duplicate_share


def test_near_duplicates_are_found_and_different_texts_are_not():
    same = "The molecule is a phospholipid bilayer found in cell membranes."
    texts = [
        same,
        same + " ",
        "A small alcohol with one hydroxyl group and an ethyl chain.",
        "x y z",
    ]
    assert near_duplicate_share(texts) == 0.5


def test_a_named_group_counts_only_when_rdkit_finds_it():
    assert named_groups("It has a carboxylic acid and an ester.") == {"carboxylic acid", "ester"}
    q = measure(
        ["CC(=O)Oc1ccccc1C(=O)O", "CCO"],
        ["Aspirin: an ester, a carboxylic acid on a benzene ring.", "It has a nitrile group."],
    )
    assert q.names_a_present_group == 0.5  # aspirin's groups are there, ethanol has no nitrile
    assert q.naming_precision == 3 / 4 and q.names_any_group == 1.0


def test_a_negated_mention_names_nothing():
    assert named_groups("There are no aromatic rings; 0 aromatic amines.") == set()
    assert named_groups("No halogens, but an aromatic ring.") == {"aromatic ring"}
