"""A random-weight GGUF with the shapes of Llama 3.2 3B (the backbone Higgs Audio v2 is built on), for
timing llama.cpp's `llama-bench` on this machine next to `higgs bench`.

Run by hand, never by CI. No network is needed beyond PyPI:
  1. llama.cpp's source ships in the llama-cpp-python sdist:
       pip download --no-deps --no-binary :all: llama-cpp-python   # 0.3.36 was used
     unpack it and, in vendor/llama.cpp (apt-get install cmake):
       cmake -B build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_OPENSSL=OFF -DBUILD_SHARED_LIBS=OFF
       cmake --build build -j2 --target llama-bench llama-quantize
  2. With vendor/llama.cpp/gguf-py and numpy importable:
       python Tools/bench/llama_cpp_gguf.py OUT.gguf TOKENIZER_DIR
     TOKENIZER_DIR holds the Llama 3 tokenizer.json (unzip
     Tests/TextTokenizerTests/Fixtures/llama3-tokenizer.zip). Weights are N(0, 0.02) in F16, norms 1, the
     llama3 RoPE factors as llama.cpp's converter computes them; the output head is tied to the embedding
     as in the published 3B.
  3. llama-quantize OUT.gguf Q4_0.gguf Q4_0 --pure   (and Q8_0), then
       llama-bench -m X.gguf -p 500 -n 64 -t 1,2 -r 3
"""
import json
import math
import sys

import gguf
import numpy as np

HIDDEN, LAYERS, HEADS, KV_HEADS, HEAD_DIM, INTERMEDIATE, VOCAB = 3072, 28, 24, 8, 128, 8192, 128256
ROPE_THETA = 500000.0
ROPE_FACTOR, LOW_FREQ_FACTOR, HIGH_FREQ_FACTOR, ORIGINAL_CONTEXT = 32.0, 1.0, 4.0, 8192


def write_metadata(writer, tokenizer_dir):
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name("Llama 3.2 3B shapes, random weights")
    writer.add_block_count(LAYERS)
    writer.add_context_length(131072)
    writer.add_embedding_length(HIDDEN)
    writer.add_feed_forward_length(INTERMEDIATE)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_rope_freq_base(ROPE_THETA)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_key_length(HEAD_DIM)
    writer.add_value_length(HEAD_DIM)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    writer.add_vocab_size(VOCAB)
    writer.add_rope_dimension_count(HEAD_DIM)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)

    # The vocabulary as llama.cpp's converter writes a Llama 3 (GPT-2 style BPE) tokenizer.
    with open(f"{tokenizer_dir}/tokenizer.json", encoding="utf-8") as f:
        tokenizer = json.load(f)
    by_id = {i: t for t, i in tokenizer["model"]["vocab"].items()}
    added = {a["id"]: a for a in tokenizer["added_tokens"]}
    tokens, kinds = [], []
    for i in range(VOCAB):
        if i in added:
            tokens.append(added[i]["content"])
            kinds.append(gguf.TokenType.CONTROL if added[i]["special"] else gguf.TokenType.USER_DEFINED)
        elif i in by_id:
            tokens.append(by_id[i])
            kinds.append(gguf.TokenType.NORMAL)
        else:
            tokens.append(f"[PAD{i}]")
            kinds.append(gguf.TokenType.UNUSED)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("llama-bpe")
    writer.add_token_list(tokens)
    writer.add_token_types(kinds)
    special = gguf.SpecialVocab(tokenizer_dir, load_merges=True, n_vocab=VOCAB)
    # <|begin_of_text|> first, <|eot_id|> last, as the instruct checkpoints' tokenizer_config.json says.
    special.special_token_ids.update(bos=128000, eos=128009)
    special.add_special_token["bos"] = True
    special.add_to_gguf(writer)


def rope_factors():
    """Per-frequency divisors of llama3 RoPE scaling (llama.cpp keeps them as the rope_freqs tensor)."""
    frequencies = 1.0 / (ROPE_THETA ** (np.arange(0, HEAD_DIM, 2, dtype=np.float32) / HEAD_DIM))
    long_wavelength, short_wavelength = ORIGINAL_CONTEXT / LOW_FREQ_FACTOR, ORIGINAL_CONTEXT / HIGH_FREQ_FACTOR
    factors = []
    for frequency in frequencies:
        wavelength = 2 * math.pi / frequency
        if wavelength < short_wavelength:
            factors.append(1.0)
        elif wavelength > long_wavelength:
            factors.append(ROPE_FACTOR)
        else:
            smooth = (ORIGINAL_CONTEXT / wavelength - LOW_FREQ_FACTOR) / (HIGH_FREQ_FACTOR - LOW_FREQ_FACTOR)
            factors.append(1 / ((1 - smooth) / ROPE_FACTOR + smooth))
    return np.array(factors, dtype=np.float32)


def tensor_plan():
    """(name, shape, kind) in file order; no output.weight, so the head is the embedding."""
    plan = [("token_embd.weight", (VOCAB, HIDDEN), "weight"), ("rope_freqs.weight", (HEAD_DIM // 2,), "rope")]
    for layer in range(LAYERS):
        p = f"blk.{layer}."
        plan += [(p + "attn_norm.weight", (HIDDEN,), "norm"),
                 (p + "attn_q.weight", (HEADS * HEAD_DIM, HIDDEN), "weight"),
                 (p + "attn_k.weight", (KV_HEADS * HEAD_DIM, HIDDEN), "weight"),
                 (p + "attn_v.weight", (KV_HEADS * HEAD_DIM, HIDDEN), "weight"),
                 (p + "attn_output.weight", (HIDDEN, HEADS * HEAD_DIM), "weight"),
                 (p + "ffn_norm.weight", (HIDDEN,), "norm"),
                 (p + "ffn_gate.weight", (INTERMEDIATE, HIDDEN), "weight"),
                 (p + "ffn_up.weight", (INTERMEDIATE, HIDDEN), "weight"),
                 (p + "ffn_down.weight", (HIDDEN, INTERMEDIATE), "weight")]
    return plan + [("output_norm.weight", (HIDDEN,), "norm")]


def main(out, tokenizer_dir):
    writer = gguf.GGUFWriter(out, "llama")
    write_metadata(writer, tokenizer_dir)
    plan = tensor_plan()
    for name, shape, kind in plan:
        dtype = np.dtype(np.float16 if kind == "weight" else np.float32)
        writer.add_tensor_info(name, shape, dtype, int(np.prod(shape)) * dtype.itemsize)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()

    random = np.random.default_rng(1234)
    for name, shape, kind in plan:
        if kind == "weight":
            data = np.empty(shape, dtype=np.float16)
            step = max(1, (1 << 24) // shape[1])  # rows at a time, so memory stays small
            for r in range(0, shape[0], step):
                rows = min(step, shape[0] - r)
                data[r:r + rows] = random.standard_normal((rows, shape[1]), dtype=np.float32) * 0.02
        elif kind == "norm":
            data = np.ones(shape, dtype=np.float32)
        else:
            data = rope_factors()
        writer.write_tensor_data(data)
    writer.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: llama_cpp_gguf.py OUT.gguf TOKENIZER_DIR")
    main(sys.argv[1], sys.argv[2])
