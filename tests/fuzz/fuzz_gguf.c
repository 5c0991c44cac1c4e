/* libFuzzer target: the GGUF reader on arbitrary bytes must return an error
 * or a file whose every tensor lies inside the buffer. */
#include <stddef.h>
#include <stdint.h>

#include "engine/gguf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gguf_file *f = NULL;
    c12_err err;
    if (gguf_parse(data, size, &f, &err) != C12_OK) return 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        const uint8_t *p = t->data;
        if (t->nbytes) {
            volatile uint8_t first = p[0], last = p[t->nbytes - 1];
            (void)first;
            (void)last;
        }
    }
    for (uint64_t i = 0; i < f->n_kv; i++) {
        const gguf_kv *kv = &f->kv[i];
        if (kv->type == GGUF_T_STRING && kv->v.s.n) {
            volatile char c = kv->v.s.p[kv->v.s.n - 1];
            (void)c;
        }
    }
    gguf_close(f);
    return 0;
}
