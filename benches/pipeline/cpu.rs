//! CPU time from `/proc`: this process (and its reaped children, e.g. `smtp-source`) and the
//! whole machine (PostgreSQL and `smtp-sink` included), so a rate comes with what it cost.
//!
//! No new crate for `getrusage`: `/proc/self/stat` has the same counters in clock ticks.
//! Linux reports them in USER_HZ, which is 100 on every architecture we build for.

use std::time::{Duration, Instant};

const USER_HZ: u64 = 100;

/// CPU counters at one instant.
#[derive(Clone, Copy, Debug)]
pub struct CpuSample {
    at: Instant,
    /// utime + stime of this process, in ticks.
    own: u64,
    /// cutime + cstime: children this process has waited for.
    children: u64,
    /// Busy ticks of all CPUs (everything but idle and iowait).
    machine: u64,
}

/// What happened between two samples.
#[derive(Clone, Copy, Debug)]
pub struct CpuSpan {
    pub wall: Duration,
    pub own: Duration,
    pub children: Duration,
    pub machine: Duration,
}

impl CpuSample {
    pub fn now() -> Self {
        let (own, children) = process_ticks().unwrap_or((0, 0));
        Self {
            at: Instant::now(),
            own,
            children,
            machine: machine_ticks().unwrap_or(0),
        }
    }

    pub fn until(&self, later: &CpuSample) -> CpuSpan {
        let ticks = |a: u64, b: u64| Duration::from_millis(b.saturating_sub(a) * 1000 / USER_HZ);
        CpuSpan {
            wall: later.at.duration_since(self.at),
            own: ticks(self.own, later.own),
            children: ticks(self.children, later.children),
            machine: ticks(self.machine, later.machine),
        }
    }
}

/// Fields 14-17 of `/proc/self/stat` (utime, stime, cutime, cstime). The command name in field
/// 2 may hold spaces, so counting starts after its closing parenthesis.
fn process_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    // after_name starts at field 3 (state): field n is at index n - 3.
    let fields: Vec<u64> = after_name
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let field = |n: usize| fields.get(n - 3).copied().unwrap_or(0);
    Some((field(14) + field(15), field(16) + field(17)))
}

/// CPU ticks of every process named `comm` (e.g. `postgres`), children they reaped included:
/// a PostgreSQL backend that exits moves its time into the postmaster's `cutime`, so the sum
/// over the processes alive at each sample still covers it. Other work on the machine is not
/// in it, which makes it steadier than the machine's busy time on a shared host.
pub fn ticks_of(comm: &str) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|stat| {
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            if stat.get(open + 1..close)? != comm {
                return None;
            }
            let fields: Vec<u64> = stat[close + 1..]
                .split_whitespace()
                .map(|f| f.parse().unwrap_or(0))
                .collect();
            let field = |n: usize| fields.get(n - 3).copied().unwrap_or(0);
            Some(field(14) + field(15) + field(16) + field(17))
        })
        .sum()
}

/// Ticks to microseconds.
pub fn ticks_to_us(ticks: u64) -> f64 {
    ticks as f64 * 1e6 / USER_HZ as f64
}

/// The `cpu` line of `/proc/stat`: user nice system idle iowait irq softirq steal ...
fn machine_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    let busy: u64 = values
        .iter()
        .enumerate()
        // idle (3) and iowait (4) are not work; guest time is already inside user.
        .filter(|(i, _)| !matches!(i, 3 | 4 | 8 | 9))
        .map(|(_, v)| v)
        .sum();
    Some(busy)
}
