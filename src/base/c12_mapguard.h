/* c12_mapguard.h - keep a file mapping from killing the process when its
 * file shrinks under it.
 *
 * A model's weights are mapped from its file (MAP_SHARED, read-only). If
 * someone truncates or rewrites that file in place while it is mapped (`cp
 * new.gguf old.gguf`, `truncate`, a download tool writing over it), the
 * pages past the new end are gone and the next read of them raises SIGBUS,
 * whose default action ends the whole server (issue 16, measured: every
 * request and the ledger's queue lost). Unlinking or renaming over the file
 * is harmless: the mapping keeps the old inode.
 *
 * A registered mapping is guarded: a SIGBUS inside it maps a page of zeros
 * over the faulting page (the read then completes, reading zeros) and marks
 * the mapping damaged. The owner polls c12_mapguard_damaged and stops using
 * the mapping (the engine fails the request, the pool unloads the model).
 * A SIGBUS anywhere else goes to the handler that was there before (the
 * default: the process dies as it would have). */
#ifndef C12_MAPGUARD_H
#define C12_MAPGUARD_H

#include <stddef.h>

/* At most this many mappings are guarded at once; more are left unguarded. */
#define C12_MAPGUARD_MAX 64

/* Guard [base, base+len). Returns a handle >= 0, or -1 when the table is
 * full or the handler cannot be installed (the mapping then works as
 * before, unguarded). Installs the SIGBUS handler at the first call. */
int c12_mapguard_add(const void *base, size_t len);
/* Stop guarding (before munmap). h < 0: nothing. */
void c12_mapguard_remove(int h);
/* 1 once a SIGBUS hit the mapping: part of it now reads as zeros. */
int c12_mapguard_damaged(int h);

#endif
