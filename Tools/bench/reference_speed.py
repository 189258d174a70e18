"""The reference's speed on this machine, for comparison with `higgs bench`: Higgs Audio v2 from
boson-multimodal 0.1.1 at the published shapes (random weights, bf16, CPU), generating audio the way
its serve engine does (collator, `model.generate` with <|audio_out_bos|> forced, greedy).

Run by hand in the reference venv:  python Tools/bench/reference_speed.py [--prompt 500] [--steps 16]
Prints prefill seconds for the prompt and milliseconds per audio step (the difference of two runs
of different lengths, so the prefill and the setup cancel out).
"""
import argparse
import json
import os
import pathlib
import tempfile
import time
import zipfile

import torch
from boson_multimodal.data_collator.higgs_audio_collator import HiggsAudioSampleCollator
from boson_multimodal.dataset.chatml_dataset import ChatMLDatasetSample
from boson_multimodal.model.higgs_audio import HiggsAudioConfig, HiggsAudioModel

PUBLISHED = pathlib.Path("/work/shared/reference/higgs-audio-v2-generation-3B-base/config.json")
ROOT = pathlib.Path(__file__).resolve().parents[2]


def llama3_tokenizer():
    """The Llama 3 tokenizer committed for the tokenizer tests (generate needs one for its stop strings)."""
    from transformers import PreTrainedTokenizerFast
    with zipfile.ZipFile(ROOT / "Tests/TextTokenizerTests/Fixtures/llama3-tokenizer.zip") as z, \
            tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "tokenizer.json"
        path.write_bytes(z.read("tokenizer.json"))
        return PreTrainedTokenizerFast(tokenizer_file=str(path))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default=str(PUBLISHED))
    parser.add_argument("--prompt", type=int, default=500)
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    config = HiggsAudioConfig(**json.loads(pathlib.Path(args.config).read_text()))
    start = time.time()
    torch.manual_seed(0)
    with torch.device("cpu"):
        torch.set_default_dtype(torch.bfloat16)
        model = HiggsAudioModel(config).eval()
        torch.set_default_dtype(torch.float32)
    print(f"random model built in {time.time() - start:.0f} s; "
          f"{sum(p.numel() for p in model.parameters()) / 1e9:.2f} B parameters, dtype {model.dtype}, threads {args.threads}")

    collator = HiggsAudioSampleCollator(
        whisper_processor=None, encode_whisper_embed=False,
        audio_in_token_id=config.audio_in_token_idx, audio_out_token_id=config.audio_out_token_idx,
        audio_stream_bos_id=config.audio_stream_bos_id, audio_stream_eos_id=config.audio_stream_eos_id,
        pad_token_id=config.pad_token_id, return_audio_in_tokens=False, use_delay_pattern=config.use_delay_pattern,
        audio_num_codebooks=config.audio_num_codebooks, round_to=1)
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(0, 128000, (args.prompt - 1,), generator=generator).tolist() + [config.audio_out_bos_token_id]
    sample = ChatMLDatasetSample(input_ids=torch.LongTensor(ids), label_ids=None,
                                 audio_ids_concat=torch.zeros((8, 0), dtype=torch.long),
                                 audio_ids_start=torch.zeros(0, dtype=torch.long), audio_waveforms_concat=None,
                                 audio_waveforms_start=None, audio_sample_rate=None, audio_speaker_indices=None)

    tokenizer = llama3_tokenizer()
    model.set_audio_special_tokens(tokenizer)

    def run(new_tokens):
        inputs = {k: v for k, v in vars(collator([sample])).items()}
        start = time.time()
        with torch.inference_mode():
            out = model.generate(**inputs, max_new_tokens=new_tokens, use_cache=True, do_sample=False,
                                 stop_strings=["<|end_of_text|>", "<|eot_id|>"], tokenizer=tokenizer)
        return time.time() - start, out

    run(2)  # warm up
    short, _ = run(2)
    long, out = run(2 + args.steps)
    frames = out[1][0].shape[1] if len(out[1]) else 0
    print(f"prefill + 1 step: {short:.2f} s for {args.prompt} positions")
    print(f"decode: {(long - short) / args.steps * 1000:.0f} ms per audio step ({frames} frames generated in the long run)")


if __name__ == "__main__":
    main()
