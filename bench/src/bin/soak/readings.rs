//! What the soak watches in its own process: resident memory, heap in use, tokio tasks alive,
//! threads and open file descriptors.

use std::fmt;

/// One reading of the process.
#[derive(Clone, Copy, Debug)]
pub struct Reading {
    /// Resident set size (`VmRSS`), in KiB.
    pub rss_kib: u64,
    /// Its anonymous part (`RssAnon`: heaps, arenas, stacks; not the program's own pages, which
    /// the kernel maps in and drops as it likes), in KiB.
    pub anon_kib: u64,
    /// Bytes allocated and not freed, counted by the program's global allocator.
    pub heap: usize,
    /// The most the heap has held at once since the program started.
    pub peak: usize,
    /// Tokio tasks alive on the runtime.
    pub tasks: usize,
    /// Threads of the process.
    pub threads: u64,
    /// Open file descriptors.
    pub fds: usize,
}

impl Reading {
    /// Reads the process now; `heap` and `peak` are the allocator's counts. Must run on the
    /// runtime.
    pub fn take(heap: usize, peak: usize) -> Reading {
        Reading {
            rss_kib: status_field("VmRSS").unwrap_or(0),
            anon_kib: status_field("RssAnon").unwrap_or(0),
            heap,
            peak,
            tasks: tokio::runtime::Handle::current().metrics().num_alive_tasks(),
            threads: status_field("Threads").unwrap_or(0),
            // The directory listing holds one descriptor of its own while it is read.
            fds: std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count().saturating_sub(1)),
        }
    }
}

impl fmt::Display for Reading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rss {:>6} KiB (anon {:>5} KiB)  heap {:>7} B (peak {:>7})  tasks {:>3}  threads {:>2}  fds {:>3}",
            self.rss_kib, self.anon_kib, self.heap, self.peak, self.tasks, self.threads, self.fds
        )
    }
}

/// A number field of `/proc/self/status` (its first number: kB for sizes).
fn status_field(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))?;
    line.split_whitespace().next()?.parse().ok()
}

/// The resident memory by kind of mapping, from `/proc/self/smaps`, in KiB: the main heap
/// (`[heap]`, glibc's main arena), anonymous mappings (other arenas, large allocations, thread
/// stacks), files (the program and its libraries), and the rest. Tells where RSS went when it
/// grows.
pub fn rss_by_mapping() -> Vec<(&'static str, u64)> {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else { return Vec::new() };
    let mut sums = [("heap", 0u64), ("anonymous", 0), ("files", 0), ("other", 0)];
    let mut kind = 3;
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or_default();
        if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            // A mapping's header: address range, permissions, offset, device, inode, name.
            kind = match words.nth(4) {
                Some("[heap]") => 0,
                None => 1,
                Some(name) if name.starts_with('/') => 2,
                Some(_) => 3,
            };
        } else if first == "Rss:" {
            sums[kind].1 += words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        }
    }
    sums.to_vec()
}

/// [`rss_by_mapping`] on one line.
pub fn rss_by_mapping_line() -> String {
    let parts: Vec<String> = rss_by_mapping().iter().map(|(k, v)| format!("{k} {v} KiB")).collect();
    format!("rss by mapping: {}", parts.join(", "))
}
