//! Decoding hub frames into the library's typed events against parsing the same text into a
//! `serde_json::Value` (what a hand-written client that reads any frame starts with).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::probe::Figures;

const FRAMES: &[&str] = &[
    include_str!("../../core/tests/fixtures/receive/bot_message_text_and_buttons.json"),
    include_str!("../../core/tests/fixtures/receive/livechat_message_text_and_files.json"),
    include_str!("../../core/tests/fixtures/receive/conversation_transcript_example.json"),
    include_str!("../../core/tests/fixtures/receive/user_conversations.json"),
    include_str!("../../core/tests/fixtures/receive/general_error_nested_in_update.json"),
];

/// The median of `runs` timings of `f`.
fn median_of(runs: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut all: Vec<Duration> = (0..runs).map(|_| f()).collect();
    all.sort_unstable();
    all[all.len() / 2]
}

/// Decodes `n` frames each way, three times; prints µs per frame.
pub fn run(n: usize) -> Result<Figures, String> {
    for frame in FRAMES {
        captivate::protocol::decode(frame).map_err(|e| format!("a fixture does not decode: {e}"))?;
    }
    let value = median_of(3, || {
        let t = Instant::now();
        for i in 0..n {
            let v: Value = serde_json::from_str(FRAMES[i % FRAMES.len()]).expect("fixture parses");
            std::hint::black_box(v);
        }
        t.elapsed()
    });
    let typed = median_of(3, || {
        let t = Instant::now();
        for i in 0..n {
            let e = captivate::protocol::decode(FRAMES[i % FRAMES.len()]).expect("fixture decodes");
            std::hint::black_box(e);
        }
        t.elapsed()
    });
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    Ok(Figures::default().set("value_us", per(value)).set("typed_us", per(typed)))
}
