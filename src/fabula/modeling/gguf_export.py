"""Write a Hugging Face Llama checkpoint as GGUF, for llama.cpp.

Fabula writes GGUF itself (with the `gguf` package) rather than running
llama.cpp's converter, because that converter refuses byte-level BPE
tokenizers whose pre-tokenizer hash it does not know, which includes every
tokenizer trained here.

The layout follows llama.cpp's "llama" architecture:
- tensor names `token_embd`, `blk.N.attn_norm|attn_q|attn_k|attn_v|attn_output|
  ffn_norm|ffn_gate|ffn_up|ffn_down`, `output_norm`, `output` (absent when the
  embeddings are tied: llama.cpp then reuses `token_embd`);
- the rows of each q/k projection are permuted from Hugging Face's rotate-half
  rotary layout (pairs (i, i + d/2)) to the adjacent-pair layout llama.cpp's
  normal rope mode rotates (pairs (2i, 2i + 1));
- norms stay float32 whatever the output type.

Tensors are converted and written one at a time, so exporting needs memory
for one tensor, not the whole model.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fabula.atomic import write_text_atomic
from fabula.errors import CorruptCheckpoint
from fabula.modeling.llama import LlamaShape, lean_support_problem, read_config
from fabula.paths import cache_dir

OUTTYPES = ("f32", "f16", "bf16", "q8_0")
SOURCE_KEY = "fabula.source"  # the checkpoint folder a GGUF was exported from
EXPORTER_KEY = "fabula.exporter"
EXPORTER_VERSION = "1"  # bump when the written layout changes: cached files are then rebuilt

_LAYER_PARTS = {
    "input_layernorm": "attn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}


def tensor_names(n_layers: int, tied: bool) -> dict[str, str]:
    """Hugging Face tensor name -> GGUF tensor name, in the order they are written."""
    names = {"model.embed_tokens.weight": "token_embd.weight"}
    for i in range(n_layers):
        for hf, gg in _LAYER_PARTS.items():
            names[f"model.layers.{i}.{hf}.weight"] = f"blk.{i}.{gg}.weight"
    names["model.norm.weight"] = "output_norm.weight"
    if not tied:
        names["lm_head.weight"] = "output.weight"
    return names


def permute_rope_rows(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Rows of a q/k projection, from HF rotate-half order to adjacent pairs.

    Within each head of size d, output row 2i is input row i and output row
    2i + 1 is input row i + d/2.
    """
    rows = w.shape[0]
    head = rows // n_heads
    return w.reshape(n_heads, 2, head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def gguf_support_problem(checkpoint: Path) -> str | None:
    """Why `export_gguf` cannot convert this checkpoint, or None if it can."""
    try:
        config = read_config(checkpoint)
    except CorruptCheckpoint as exc:
        return str(exc)
    problem = lean_support_problem(config)
    if problem:
        return problem
    file = checkpoint / "tokenizer.json"
    if not file.exists():
        return "no tokenizer.json (GGUF export needs a byte-level BPE tokenizer.json)"
    try:
        spec = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return f"unreadable tokenizer.json ({exc})"
    kind = (spec.get("model") or {}).get("type")
    if kind != "BPE":
        return f"a {kind} tokenizer (GGUF export writes byte-level BPE tokenizers only)"
    if not _has_byte_level(spec.get("pre_tokenizer")):
        return "a BPE tokenizer without a ByteLevel pre-tokenizer (GGUF export writes byte-level BPE only)"
    return None


def export_gguf(checkpoint_dir: Path, out_file: Path, outtype: str = "q8_0") -> Path:
    """Convert a Llama checkpoint folder to a GGUF file at `out_file` (written atomically)."""
    import gguf

    checkpoint_dir, out_file = Path(checkpoint_dir), Path(out_file)
    if outtype not in OUTTYPES:
        raise ValueError(f"outtype must be one of {', '.join(OUTTYPES)}, not {outtype!r}")
    problem = gguf_support_problem(checkpoint_dir)
    if problem:
        raise ValueError(f"Cannot export {checkpoint_dir} to GGUF: {problem}.")
    config = read_config(checkpoint_dir)
    shape = LlamaShape.from_config(config)
    reader = _LazyWeights(checkpoint_dir)
    tied = shape.tie_embeddings or "lm_head.weight" not in reader
    names = tensor_names(shape.n_layers, tied)
    missing = [n for n in names if n not in reader]
    if missing:
        raise CorruptCheckpoint(f"{checkpoint_dir} is missing tensors {missing[:3]}; it is not a complete Llama.")

    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_name(f".{out_file.name}.{os.getpid()}.tmp")
    writer = gguf.GGUFWriter(str(tmp), "llama")
    try:
        writer.add_name(config.get("_name_or_path") or checkpoint_dir.name)
        writer.add_file_type(_FILE_TYPES[outtype])
        writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
        _write_hparams(writer, shape)
        _write_tokenizer(writer, checkpoint_dir, shape.vocab_size, config)
        writer.add_string(SOURCE_KEY, str(checkpoint_dir.resolve()))
        writer.add_string(EXPORTER_KEY, EXPORTER_VERSION)

        plan = [_plan(hf, gg, reader.shape(hf), outtype, shape) for hf, gg in names.items()]
        for p in plan:
            writer.add_tensor_info(p.gguf_name, p.stored_shape, p.np_dtype, p.nbytes, raw_dtype=p.raw_dtype)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for p in plan:
            data = p.convert(reader.get(p.hf_name))
            assert data.nbytes == p.nbytes, (p.gguf_name, data.nbytes, p.nbytes)
            writer.write_tensor_data(data)
        writer.close()
        os.replace(tmp, out_file)
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
    return out_file


def cached_gguf(checkpoint_dir: Path, outtype: str = "q8_0") -> Path:
    """The GGUF of `checkpoint_dir`, converted once into Fabula's cache.

    The file is named by a hash of the checkpoint's weights, config and
    tokenizer (plus the exporter version), so retrained weights get a new file
    and an unchanged checkpoint is never converted twice.
    """
    checkpoint_dir = Path(checkpoint_dir)
    out = cache_dir() / "gguf" / f"{checkpoint_digest(checkpoint_dir)}-{outtype}.gguf"
    if not out.exists():
        export_gguf(checkpoint_dir, out, outtype)
    return out


def checkpoint_digest(checkpoint_dir: Path) -> str:
    """A content hash of the files a GGUF is made from (memoised by size and mtime)."""
    files = sorted(checkpoint_dir.glob("*.safetensors")) + [
        checkpoint_dir / n for n in ("config.json", "tokenizer.json", "tokenizer_config.json")
    ]
    files = [f for f in files if f.exists()]
    stamp = hashlib.sha256(f"{EXPORTER_VERSION}|{checkpoint_dir.resolve()}".encode())
    for f in files:
        st = f.stat()
        stamp.update(f"|{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    memo_file = cache_dir() / "gguf" / "digests.json"
    try:
        memo = json.loads(memo_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        memo = {}
    key = stamp.hexdigest()
    if key in memo:
        return str(memo[key])
    content = hashlib.sha256(EXPORTER_VERSION.encode())
    for f in files:
        content.update(f"|{f.name}|".encode())
        with f.open("rb") as handle:
            while block := handle.read(1 << 22):
                content.update(block)
    digest = content.hexdigest()[:20]
    memo[key] = digest
    write_text_atomic(memo_file, json.dumps(memo, indent=0))
    return digest


# --- tensors -------------------------------------------------------------------------------------


# general.file_type: values of gguf.LlamaFileType, spelled out so importing this module needs no gguf
_FILE_TYPES = {"f32": 0, "f16": 1, "q8_0": 7, "bf16": 32}


@dataclass
class _Planned:
    hf_name: str
    gguf_name: str
    stored_shape: tuple[int, ...]
    np_dtype: np.dtype
    nbytes: int
    raw_dtype: object  # gguf.GGMLQuantizationType | None
    convert: Callable[[np.ndarray], np.ndarray]


def _plan(hf_name: str, gguf_name: str, hf_shape: tuple[int, ...], outtype: str, shape: LlamaShape) -> _Planned:
    """How one tensor is stored: its GGUF type and byte size, and the conversion from float32."""
    from gguf import GGMLQuantizationType as Q
    from gguf import quants

    heads = shape.n_heads if hf_name.endswith("q_proj.weight") else shape.n_kv_heads
    permute = hf_name.endswith(("q_proj.weight", "k_proj.weight"))

    def prepare(x: np.ndarray) -> np.ndarray:
        return permute_rope_rows(x, heads) if permute else x

    n = int(np.prod(hf_shape))
    kind = outtype if len(hf_shape) > 1 else "f32"  # norms stay float32
    if kind == "q8_0" and hf_shape[-1] % 32:  # q8_0 blocks are 32 wide; such rows fall back to f16
        kind = "f16"
    if kind == "f32":
        return _Planned(hf_name, gguf_name, hf_shape, np.dtype(np.float32), 4 * n, None,
                        lambda x: np.ascontiguousarray(prepare(x), dtype=np.float32))
    if kind == "f16":
        return _Planned(hf_name, gguf_name, hf_shape, np.dtype(np.float16), 2 * n, None,
                        lambda x: np.ascontiguousarray(prepare(x).astype(np.float16)))
    qtype = Q.BF16 if kind == "bf16" else Q.Q8_0
    byte_shape = quants.quant_shape_to_byte_shape(hf_shape, qtype)
    return _Planned(hf_name, gguf_name, byte_shape, np.dtype(np.uint8), int(np.prod(byte_shape)), qtype,
                    lambda x: quants.quantize(np.ascontiguousarray(prepare(x), dtype=np.float32), qtype))


class _LazyWeights:
    """Tensors of every *.safetensors file, read one at a time as float32 numpy."""

    def __init__(self, checkpoint_dir: Path) -> None:
        from safetensors import safe_open

        files = sorted(checkpoint_dir.glob("*.safetensors"))
        if not files:
            raise CorruptCheckpoint(f"No *.safetensors weights in {checkpoint_dir}.")
        self._where: dict[str, Path] = {}
        self._shapes: dict[str, tuple[int, ...]] = {}
        for file in files:
            try:
                with safe_open(str(file), framework="pt") as handle:
                    for name in handle.keys():  # noqa: SIM118 (safe_open is not a mapping)
                        self._where[name] = file
                        self._shapes[name] = tuple(handle.get_slice(name).get_shape())
            except Exception as exc:  # safetensors raises several types for damaged files
                raise CorruptCheckpoint(f"{file} is damaged or not a safetensors file ({exc}).") from exc

    def __contains__(self, name: str) -> bool:
        return name in self._where

    def shape(self, name: str) -> tuple[int, ...]:
        return self._shapes[name]

    def get(self, name: str) -> np.ndarray:
        import torch
        from safetensors import safe_open

        with safe_open(str(self._where[name]), framework="pt") as handle:
            return handle.get_tensor(name).to(torch.float32).numpy()


# --- metadata ------------------------------------------------------------------------------------


def _write_hparams(writer, shape: LlamaShape) -> None:  # type: ignore[no-untyped-def]
    writer.add_context_length(shape.max_seq_len)
    writer.add_embedding_length(shape.dim)
    writer.add_block_count(shape.n_layers)
    writer.add_feed_forward_length(shape.hidden_dim)
    writer.add_head_count(shape.n_heads)
    writer.add_head_count_kv(shape.n_kv_heads)
    writer.add_key_length(shape.head_dim)
    writer.add_value_length(shape.head_dim)
    writer.add_rope_dimension_count(shape.head_dim)
    writer.add_layer_norm_rms_eps(shape.norm_eps)
    writer.add_rope_freq_base(shape.rope_theta)
    writer.add_vocab_size(shape.vocab_size)


def _has_byte_level(pre: dict | None) -> bool:
    if not pre:
        return False
    if pre.get("type") == "ByteLevel":
        return True
    return pre.get("type") == "Sequence" and any(_has_byte_level(p) for p in pre.get("pretokenizers", []))


# The Split regex Llama 3 style tokenizers put before a regex-free ByteLevel.
_LLAMA3_SPLIT = (
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
    "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
)


def _pre_tokenizer_name(pre: dict) -> str:
    """llama.cpp's name for this byte-level pre-tokenization ("gpt-2" for plain ByteLevel)."""
    if pre.get("type") == "Sequence":
        for p in pre.get("pretokenizers", []):
            if p.get("type") == "Split" and (p.get("pattern") or {}).get("Regex") == _LLAMA3_SPLIT:
                return "llama-bpe"
    return "gpt-2"


def _write_tokenizer(writer, checkpoint: Path, vocab_size: int, config: dict) -> None:  # type: ignore[no-untyped-def]
    """Byte-level BPE as llama.cpp's "gpt2" tokenizer model."""
    import gguf

    spec = json.loads((checkpoint / "tokenizer.json").read_text(encoding="utf-8"))
    model = spec["model"]
    tokens = [f"[PAD{i}]" for i in range(vocab_size)]
    types = [gguf.TokenType.UNUSED] * vocab_size
    for text, tid in model["vocab"].items():
        if tid < vocab_size:
            tokens[tid], types[tid] = text, gguf.TokenType.NORMAL
    for added in spec.get("added_tokens", []):
        tid = added["id"]
        if tid < vocab_size:
            tokens[tid] = added["content"]
            types[tid] = gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(_pre_tokenizer_name(spec["pre_tokenizer"]))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)

    for key, add in (("bos_token_id", writer.add_bos_token_id), ("eos_token_id", writer.add_eos_token_id),
                     ("pad_token_id", writer.add_pad_token_id)):
        value = config.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, int) and 0 <= value < vocab_size:
            add(value)
    add_bos, add_eos = _special_tokens_added(checkpoint)
    writer.add_add_bos_token(add_bos)
    writer.add_add_eos_token(add_eos)


def _special_tokens_added(checkpoint: Path) -> tuple[bool, bool]:
    """Whether Fabula's tokenizer puts BOS before (and EOS after) a prompt, so llama.cpp's matches."""
    from fabula.modeling.tokenizer import HFTokenizer

    try:
        tok = HFTokenizer(checkpoint)
        plain, prompt = tok.encode("a"), tok.encode_prompt("a")
    except CorruptCheckpoint:
        return False, False
    extra_front = len(prompt) > len(plain) and prompt[-len(plain):] == plain
    extra_back = len(prompt) > len(plain) and prompt[: len(plain)] == plain
    return bool(extra_front and prompt[0] == tok.bos_token_id), bool(extra_back and prompt[-1] in tok.eos_token_ids)


def iter_metadata(path: Path) -> Iterator[tuple[str, object]]:
    """Scalar and string metadata of a GGUF file (arrays skipped), via the `gguf` reader."""
    import gguf

    reader = gguf.GGUFReader(str(path))
    for field in reader.fields.values():
        if field.types and field.types[0] != gguf.GGUFValueType.ARRAY:
            yield field.name, field.contents()


__all__ = [
    "OUTTYPES", "SOURCE_KEY", "cached_gguf", "checkpoint_digest", "export_gguf", "gguf_support_problem",
    "iter_metadata", "permute_rope_rows", "tensor_names",
]
