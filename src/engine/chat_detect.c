/* chat_detect.c - which chat template family a template's text is.
 *
 * C12 does not run Jinja: like llama.cpp without --jinja, it recognises a
 * template by signature strings and renders the family in C. The checks and
 * their order are llama.cpp's (llm_chat_detect_template, 0.3.36), so a file
 * gets the family llama.cpp gives it; a family C12 does not render is still
 * named here, so that it is refused by name rather than taken for another.
 * A template's text may also be a family's name (models' `chat_template:`). */
#include <string.h>

#include "chat_impl.h"

static const char *const k_names[] = {
    "chatml", "llama2", "llama2-sys", "llama2-sys-bos", "llama2-sys-strip", "mistral-v1",
    "mistral-v3", "mistral-v3-tekken", "mistral-v7", "mistral-v7-tekken", "phi3", "phi4",
    "falcon3", "zephyr", "monarch", "gemma", "orion", "openchat", "vicuna", "vicuna-orca",
    "deepseek", "deepseek2", "deepseek3", "command-r", "llama3", "chatglm3", "chatglm4",
    "glmedge", "minicpm", "exaone3", "exaone4", "exaone-moe", "rwkv-world", "granite",
    "granite-4.0", "granite-4.1", "gigachat", "megrez", "yandex", "smolvlm",
};

static int has(const char *t, const char *s) { return strstr(t, s) != NULL; }

static const char *mistral_or_llama2(const char *t)
{
    if (has(t, "[SYSTEM_PROMPT]")) return "mistral-v7";
    if (has(t, "' [INST] ' + system_message") || has(t, "[AVAILABLE_TOOLS]")) {
        if (has(t, " [INST]")) return "mistral-v1";
        if (has(t, "\"[INST]\"")) return "mistral-v3-tekken";
        return "mistral-v3";
    }
    if (has(t, "content.strip()")) return "llama2-sys-strip";
    if (has(t, "bos_token + '[INST]")) return "llama2-sys-bos";
    if (has(t, "<<SYS>>")) return "llama2-sys";
    return "llama2";
}

/* The checks up to llama3 and the ones after it that name a family C12
 * knows; the rest of llama.cpp's list (newer, rarer families) ends in NULL. */
static const char *by_signature(const char *t)
{
    if (has(t, "<|im_start|>"))
        return has(t, "<|im_sep|>") ? "phi4" : has(t, "<end_of_utterance>") ? "smolvlm" : "chatml";
    if (!strncmp(t, "mistral", 7) || has(t, "[INST]")) return mistral_or_llama2(t);
    if (has(t, "<|assistant|>") && has(t, "<|end|>")) return "phi3";
    if (has(t, "[gMASK]<sop>")) return "chatglm4";
    if (has(t, "<|assistant|>") && has(t, "<|user|>")) {
        if (has(t, "<|tool_declare|>")) return "exaone-moe";
        return has(t, "</s>") ? "falcon3" : "glmedge";
    }
    if (has(t, "<|{{ item['role'] }}|>") && has(t, "<|begin_of_image|>")) return "glmedge";
    if (has(t, "<|user|>") && has(t, "<|endoftext|>")) return "zephyr";
    if (has(t, "bos_token + message['role']")) return "monarch";
    if (has(t, "<start_of_turn>")) return "gemma";
    if (has(t, "'\\n\\nAssistant: ' + eos_token")) return "orion";
    if (has(t, "GPT4 Correct ")) return "openchat";
    if (has(t, "USER: ") && has(t, "ASSISTANT: ")) return has(t, "SYSTEM: ") ? "vicuna-orca" : "vicuna";
    if (has(t, "### Instruction:") && has(t, "<|EOT|>")) return "deepseek";
    if (has(t, "<|START_OF_TURN_TOKEN|>") && has(t, "<|USER_TOKEN|>")) return "command-r";
    if (has(t, "<|start_header_id|>") && has(t, "<|end_header_id|>")) return "llama3";
    if (has(t, "[gMASK]sop")) return "chatglm3";
    if (has(t, "<\xe7\x94\xa8\xe6\x88\xb7>")) return "minicpm"; /* <用户> */
    if (has(t, "'Assistant: ' + message['content'] + eos_token")) return "deepseek2";
    if (has(t, "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>") && has(t, "<\xef\xbd\x9c" "User\xef\xbd\x9c>") &&
        has(t, "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"))
        return "deepseek3";
    if (has(t, "[|system|]") && has(t, "[|assistant|]") && has(t, "[|endofturn|]"))
        return has(t, "[|tool|]") ? "exaone4" : "exaone3";
    if (has(t, "rwkv-world")) return "rwkv-world";
    if (has(t, "<|start_of_role|>")) return "granite";
    if (has(t, "<|role_start|>")) return "megrez";
    if (has(t, " \xd0\x90\xd1\x81\xd1\x81\xd0\xb8\xd1\x81\xd1\x82\xd0\xb5\xd0\xbd\xd1\x82:")) return "yandex";
    return NULL;
}

const char *chat_detect(const char *tmpl)
{
    if (!tmpl) return NULL;
    for (size_t i = 0; i < sizeof k_names / sizeof k_names[0]; i++)
        if (!strcmp(tmpl, k_names[i])) return k_names[i];
    return by_signature(tmpl);
}
