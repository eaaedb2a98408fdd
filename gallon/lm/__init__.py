"""The LM teacher: a text encoder fine-tuned on SMILES + LLM explanation texts."""
