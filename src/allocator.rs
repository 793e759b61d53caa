//! The process's allocator. A 1M-entry plan frees, on one thread, much of what the manifest
//! parsers and the page decoders allocated on others; glibc's per-thread arenas keep those
//! pages (peak RSS ~300 MiB above the live heap), and musl's allocator, which the Linux
//! release binaries use, is slow. jemalloc with its decay at zero gives freed pages back at once.

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's `malloc_conf`, read before `main`: unused dirty and muzzy pages are returned to
/// the system immediately rather than after 10 s (peak RSS over CPU: the plan's phases free
/// hundreds of MiB that nothing reuses). `_RJEM_MALLOC_CONF` in the environment overrides it.
#[cfg(not(target_env = "msvc"))]
#[unsafe(export_name = "_rjem_malloc_conf")]
static JEMALLOC_CONF: &u8 = &b"dirty_decay_ms:0,muzzy_decay_ms:0\0"[0];
