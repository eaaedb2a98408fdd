"""A tiny random-weight Llama with its own tokenizer, built offline (no downloads)."""

from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|user|>{{ m['content'] if m['content'] is string "
    "else m['content'][0]['text'] }}\n{% endfor %}{% if add_generation_prompt %}<|bot|>{% endif %}"
)
CORPUS = [
    "You are an expert in chemistry. SMILES: CCO c1ccccc1O C(=O)O N Cl Br F S P",
    "Atom 0 (C) is connected with Atom 1 (O) by a single bond. double triple aromatic",
    "The molecule has functional groups and structural features; it can pass the barrier.",
    "0123456789 ()[]=#@+-/\\.%",
]


def build_tiny_llm(dest: Path, hidden: int = 128, layers: int = 2, seed: int = 0) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    dest.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=["<unk>", "<s>", "</s>", "<|user|>", "<|bot|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(CORPUS * 20, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="</s>"
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(dest)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=hidden // 2,
        max_position_embeddings=4096,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        tie_word_embeddings=True,
    )
    LlamaForCausalLM(config).to(torch.bfloat16).save_pretrained(dest, safe_serialization=True)
    return dest
