#!/usr/bin/env python3
"""Write tiny random-weight GGUF files, one per architecture and tensor type,
for checking C12's forward pass against llama.cpp (issue 17).

    tiny_models.py OUTDIR [--types f32,f16,q8_0,q4_0] [--only NAME,...]

Each model has 2 layers, hidden size 256 (K-quant blocks are 256 wide), 4
heads of 64 (GQA with 2 KV heads where the architecture has it), a 256-wide
feed-forward and a 320-token SentencePiece-style vocabulary (3 specials, 256
byte tokens, 61 pieces) so that llama.cpp loads it. Weights come from numpy's
legacy RandomState with a fixed seed per (architecture, tensor), so a file is
byte-identical every time it is written with the pinned gguf package
(gguf==0.19.0, the gguf-py vendored in llama-cpp-python 0.3.36).

F32, F16, Q8_0 and Q4_0 are written here (gguf.quants); Q4_K_M and Q6_K are
made from the F32 file by llama.cpp's own quantizer (scripts/oracle/goldens.py).
"""
import argparse
import hashlib
import os
import sys

import numpy as np
import gguf

D, L, H, HKV, HD, FF, V, CTX = 256, 2, 4, 2, 64, 256, 320, 128


def rs(name, tensor):
    """A RandomState seeded from the architecture and tensor names only."""
    seed = int.from_bytes(hashlib.sha256(f"{name}/{tensor}".encode()).digest()[:4], "little")
    return np.random.RandomState(seed)


def mat(name, t, rows, cols, scale=1.0):
    """A rows x cols matrix (ggml ne = [cols, rows]) ~ N(0, scale^2 / cols)."""
    return (rs(name, t).standard_normal((rows, cols)) * (scale / np.sqrt(cols))).astype(np.float32)


def vec(name, t, n, mean=0.0, sd=0.1):
    return (mean + sd * rs(name, t).standard_normal(n)).astype(np.float32)


def vocab():
    toks, scores, types = ["<unk>", "<s>", "</s>"], [0.0, 0.0, 0.0], [2, 3, 3]
    for b in range(256):
        toks.append(f"<0x{b:02X}>")
        scores.append(0.0)
        types.append(6)
    letters = "abcdefghijklmnopqrstuvwxyz"
    i = 0
    while len(toks) < V:
        piece = "\u2581" + letters[i % 26] + (letters[i // 26] if i >= 26 else "")
        toks.append(piece)
        scores.append(-float(i))
        types.append(1)
        i += 1
    return toks, scores, types


# ---- the architectures: each returns (metadata, {tensor name: array}) ----

def llama_common(name, arch, n_head=H, n_head_kv=HKV, head_dim=HD, tied=False):
    kv = {"context_length": CTX, "embedding_length": D, "block_count": L, "feed_forward_length": FF,
          "attention.head_count": n_head, "attention.head_count_kv": n_head_kv,
          "attention.layer_norm_rms_epsilon": 1e-5, "rope.dimension_count": head_dim}
    qd, kvd = n_head * head_dim, n_head_kv * head_dim
    # untied: embeddings of rms 1; tied: small embeddings (rms 3/16) so that the
    # layers, not the input token's own row, decide the logits
    t = {"token_embd.weight": mat(name, "tok", V, D, 3.0 if tied else 16.0),
         "output_norm.weight": vec(name, "onorm", D, 1.0)}
    if not tied:
        t["output.weight"] = mat(name, "out", V, D, 3.0)
    for i in range(L):
        p = f"blk.{i}."
        t[p + "attn_norm.weight"] = vec(name, p + "an", D, 1.0)
        t[p + "attn_q.weight"] = mat(name, p + "q", qd, D, 2.0)
        t[p + "attn_k.weight"] = mat(name, p + "k", kvd, D, 2.0)
        t[p + "attn_v.weight"] = mat(name, p + "v", kvd, D)
        t[p + "attn_output.weight"] = mat(name, p + "o", D, qd)
        t[p + "ffn_norm.weight"] = vec(name, p + "fn", D, 1.0)
        t[p + "ffn_gate.weight"] = mat(name, p + "g", FF, D)
        t[p + "ffn_up.weight"] = mat(name, p + "u", FF, D)
        t[p + "ffn_down.weight"] = mat(name, p + "d", D, FF)
    return kv, t


def m_llama3(name):
    """Llama 3: rope_freqs factors (as llama.cpp's converter computes them for
    factor 8, low 1, high 4, original context 32), rope base 500000, GQA."""
    kv, t = llama_common(name, "llama")
    kv["rope.freq_base"] = 500000.0
    base, n = 500000.0, HD
    freqs = base ** (-np.arange(0, n, 2, dtype=np.float64) / n)
    factor, low, high, old_ctx = 8.0, 1.0, 4.0, 32
    low_wl, high_wl = old_ctx / low, old_ctx / high
    f = []
    for fr in freqs:
        wl = 2 * np.pi / fr
        if wl < high_wl:
            f.append(1.0)
        elif wl > low_wl:
            f.append(factor)
        else:
            s = (old_ctx / wl - low) / (high - low)
            f.append(1.0 / ((1 - s) / factor + s))
    t["rope_freqs.weight"] = np.array(f, dtype=np.float32)
    return "llama", kv, t


def m_mistral(name):
    """Mistral 7B's shape: llama, rope base 1e6, GQA, tied output here."""
    kv, t = llama_common(name, "llama", tied=True)
    kv["rope.freq_base"] = 1000000.0
    return "llama", kv, t


def m_qwen3(name):
    """Qwen3: per-head RMSNorm of q and k; 6 heads of 64 (384 != 256)."""
    kv, t = llama_common(name, "qwen3", n_head=6)
    kv["attention.key_length"] = HD
    kv["attention.value_length"] = HD
    kv["rope.freq_base"] = 1000000.0
    for i in range(L):
        t[f"blk.{i}.attn_q_norm.weight"] = vec(name, f"{i}qn", HD, 1.0)
        t[f"blk.{i}.attn_k_norm.weight"] = vec(name, f"{i}kn", HD, 1.0)
    return "qwen3", kv, t


def m_phi3(name):
    """Phi-3: fused QKV, fused gate-up (gate first), q scaled before attention."""
    kv, t = llama_common(name, "phi3", n_head_kv=H)
    kv["rope.freq_base"] = 10000.0
    for i in range(L):
        p = f"blk.{i}."
        q, k, v = (t.pop(p + f"attn_{x}.weight") for x in "qkv")
        t[p + "attn_qkv.weight"] = np.concatenate([q, k, v], axis=0)
        g, u = t.pop(p + "ffn_gate.weight"), t.pop(p + "ffn_up.weight")
        t[p + "ffn_up.weight"] = np.concatenate([g, u], axis=0)
    return "phi3", kv, t


def ln_common(name, qkv_fused, qkv_bias, o_bias, gated, n_head_kv):
    kv = {"context_length": CTX, "embedding_length": D, "block_count": L, "feed_forward_length": FF,
          "attention.head_count": H, "attention.head_count_kv": n_head_kv,
          "attention.layer_norm_epsilon": 1e-5}
    kvd = n_head_kv * HD
    t = {"token_embd.weight": mat(name, "tok", V, D, 16.0), "output_norm.weight": vec(name, "onorm", D, 1.0),
         "output_norm.bias": vec(name, "onormb", D), "output.weight": mat(name, "out", V, D, 3.0)}
    for i in range(L):
        p = f"blk.{i}."
        t[p + "attn_norm.weight"] = vec(name, p + "an", D, 1.0)
        t[p + "attn_norm.bias"] = vec(name, p + "anb", D)
        q, k, v = mat(name, p + "q", D, D, 2.0), mat(name, p + "k", kvd, D, 2.0), mat(name, p + "v", kvd, D)
        bq, bk, bv = vec(name, p + "bq", D), vec(name, p + "bk", kvd), vec(name, p + "bv", kvd)
        if qkv_fused:
            t[p + "attn_qkv.weight"] = np.concatenate([q, k, v], axis=0)
            t[p + "attn_qkv.bias"] = np.concatenate([bq, bk, bv])
        else:
            t[p + "attn_q.weight"], t[p + "attn_k.weight"], t[p + "attn_v.weight"] = q, k, v
            if qkv_bias:
                t[p + "attn_q.bias"], t[p + "attn_k.bias"], t[p + "attn_v.bias"] = bq, bk, bv
        t[p + "attn_output.weight"] = mat(name, p + "o", D, D)
        if o_bias:
            t[p + "attn_output.bias"] = vec(name, p + "ob", D)
        t[p + "ffn_norm.weight"] = vec(name, p + "fn", D, 1.0)
        t[p + "ffn_norm.bias"] = vec(name, p + "fnb", D)
        t[p + "ffn_up.weight"] = mat(name, p + "u", FF, D)
        t[p + "ffn_down.weight"] = mat(name, p + "d", D, FF)
        if gated:
            t[p + "ffn_gate.weight"] = mat(name, p + "g", FF, D)
        else:
            t[p + "ffn_up.bias"] = vec(name, p + "ub", FF)
            t[p + "ffn_down.bias"] = vec(name, p + "db", D)
    return kv, t


def m_gpt2(name):
    """GPT-2: learned positions, LayerNorm with bias, fused QKV with bias, GELU."""
    kv, t = ln_common(name, True, True, True, False, H)
    t["position_embd.weight"] = mat(name, "pos", CTX, D, 8.0)
    return "gpt2", kv, t


def m_starcoder2(name):
    """StarCoder2: LayerNorm with bias, biases everywhere, GQA, NEOX RoPE, GELU."""
    kv, t = ln_common(name, False, True, True, False, HKV)
    kv["rope.freq_base"] = 100000.0
    return "starcoder2", kv, t


def m_stablelm(name):
    """StableLM 2: LayerNorm with bias, QKV biases, partial rotary (16 of 64)."""
    kv, t = ln_common(name, False, True, False, True, H)
    kv["rope.dimension_count"] = 16
    return "stablelm", kv, t


def m_gemma2(name):
    """Gemma 2: soft-capped attention and logits (caps 10 and 15, lower than the
    real 50 and 30 so that they bite), sliding window of 8 on even layers,
    post-norms (mean 4, so the layers outweigh the tied embeddings), GELU
    gate, embeddings * sqrt(n_embd)."""
    kv, t = llama_common(name, "gemma2", tied=True)
    kv.update({"attention.key_length": HD, "attention.value_length": HD, "attention.sliding_window": 8,
               "attn_logit_softcapping": 10.0, "final_logit_softcapping": 15.0, "rope.freq_base": 10000.0,
               "attention.layer_norm_rms_epsilon": 1e-6})
    for i in range(L):
        t[f"blk.{i}.post_attention_norm.weight"] = vec(name, f"{i}pan", D, 4.0)
        t[f"blk.{i}.post_ffw_norm.weight"] = vec(name, f"{i}pfn", D, 4.0)
    return "gemma2", kv, t


# ---- files C12 must refuse at load (no goldens: the test checks the message) ----

def r_rope_linear(name):
    arch, kv, t = m_llama3(name)
    kv["rope.scaling.type"] = "linear"
    kv["rope.scaling.factor"] = 2.0
    return arch, kv, t


def r_longrope(name):
    """Phi-3 128k: longrope factors, which C12 does not implement."""
    arch, kv, t = m_phi3(name)
    t["rope_factors_long.weight"] = vec(name, "rfl", HD // 2, 1.5)
    t["rope_factors_short.weight"] = vec(name, "rfs", HD // 2, 1.0)
    return arch, kv, t


def r_falcon(name):
    """An architecture C12 does not have (the tensors do not matter)."""
    _, kv, t = m_mistral(name)
    return "falcon", kv, t


def r_gemma2_output(name):
    arch, kv, t = m_gemma2(name)
    t["output.weight"] = mat(name, "out", V, D)
    return arch, kv, t


def r_q2_k(name):
    """One Q2_K matrix (a type C12 has no kernel for): raw bytes suffice."""
    arch, kv, t = m_mistral(name)
    t["blk.0.attn_q.weight"] = ("Q2_K", t["blk.0.attn_q.weight"].shape)
    return arch, kv, t


REFUSED = {"llama-rope-linear": r_rope_linear, "phi3-longrope": r_longrope, "falcon": r_falcon,
           "gemma2-output": r_gemma2_output, "llama-q2_k": r_q2_k}

MODELS = {"llama3": m_llama3, "mistral": m_mistral, "qwen3": m_qwen3, "phi3": m_phi3, "gpt2": m_gpt2,
          "gemma2": m_gemma2, "starcoder2": m_starcoder2, "stablelm": m_stablelm}
QTYPES = {"f32": None, "f16": gguf.GGMLQuantizationType.F16, "q8_0": gguf.GGMLQuantizationType.Q8_0,
          "q4_0": gguf.GGMLQuantizationType.Q4_0, "q4_1": gguf.GGMLQuantizationType.Q4_1,
          "q5_0": gguf.GGMLQuantizationType.Q5_0}
FTYPES = {"f32": 0, "f16": 1, "q8_0": 7, "q4_0": 2, "q4_1": 3, "q5_0": 8}


def write(path, name, typ):
    arch, kv, tensors = (MODELS.get(name) or REFUSED[name])(name)
    w = gguf.GGUFWriter(path, arch)
    # llama.cpp's vocabulary loader keys token attributes on general.name:
    # a name containing "phi3" makes it look up Phi-3's own special tokens
    w.add_name(f"c12-tiny-{name}".replace("phi3", "phi-three"))
    w.add_file_type(FTYPES[typ])
    for k, v in kv.items():
        key = f"{arch}.{k}"
        if isinstance(v, float):
            w.add_float32(key, v)
        elif isinstance(v, str):
            w.add_string(key, v)
        else:
            w.add_uint32(key, v)
    toks, scores, types = vocab()
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(toks)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(False)
    qt = QTYPES[typ]
    for tn, a in tensors.items():
        if isinstance(a, tuple):  # (type name, shape): zero bytes of that type
            qt2 = gguf.GGMLQuantizationType[a[0]]
            bs, ts = gguf.GGML_QUANT_SIZES[qt2]
            rows, cols = a[1]
            w.add_tensor(tn, np.zeros((rows, cols // bs * ts), dtype=np.uint8), raw_dtype=qt2)
        elif a.ndim == 2 and qt is not None:
            if qt == gguf.GGMLQuantizationType.F16:
                w.add_tensor(tn, a.astype(np.float16))
            else:
                w.add_tensor(tn, gguf.quants.quantize(a, qt), raw_dtype=qt)
        else:
            w.add_tensor(tn, a)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--types", default="f32,f16,q8_0,q4_0")
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    names = a.only.split(",") if a.only else list(MODELS) + list(REFUSED)
    for name in names:
        for typ in (a.types.split(",") if name in MODELS else ["f32"]):
            path = os.path.join(a.outdir, f"{name}-{typ}.gguf")
            write(path, name, typ)
            print(path)


if __name__ == "__main__":
    sys.exit(main())
