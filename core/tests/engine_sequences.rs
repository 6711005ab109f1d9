//! Call sequences on the public engine API found by fuzzing (`fuzz/fuzz_targets/engine.rs`),
//! replayed deterministically on a fake clock.

use std::time::{Duration, Instant};

use captivate::engine::{Engine, Expect, Output, ReplyMatch, Submit, TransportError};
use captivate::{ConnectionState, Timings};

fn hello() -> String {
    r#"{"action":"receiveMessage","event":{"event_type":"socket_connected","event_payload":{"socket_id":"s1"},"event_id":"e1"}}"#
        .to_owned()
}

fn request(id: u64) -> Submit {
    let expect = Expect::Reply(ReplyMatch {
        event_type: "conversation_metadata".into(),
        conversation_id: Some("c1".into()),
        ..ReplyMatch::default()
    });
    Submit { id, operation: "get_metadata".into(), frame: "{}".into(), expect, timeout: Duration::from_secs(60) }
}

fn completions(engine: &mut Engine) -> Vec<u64> {
    while engine.poll_action().is_some() {}
    let mut done = Vec::new();
    while let Some(o) = engine.poll_output() {
        if let Output::Complete { id, .. } = o {
            done.push(id);
        }
    }
    done
}

/// Orders of events that fuzzing found mishandled.
mod sequences {
    use super::*;

    /// `close()` arms the close timer; a transport failure reported while closing (here a
    /// refused key, which the driver only reports before a transport opens, but the engine's
    /// API accepts) ends the close. The timer must not outlive it: after `connect()`, a stale
    /// timer would close the new attempt ("closed by the application") and strand the requests
    /// queued meanwhile.
    #[test]
    fn a_close_timer_left_from_an_earlier_close_neither_closes_a_new_attempt_nor_strands_requests() {
        let t0 = Instant::now();
        let mut e = Engine::new(Timings { jitter_seed: Some(5), ..Timings::default() }, t0);
        e.connect(t0);
        let g = e.generation();
        e.transport_opened(g, t0);
        e.frame_received(g, &hello(), t0);
        assert!(e.state().is_connected());
        e.close(t0);
        e.transport_failed(g, TransportError::Rejected { status: 401 }, t0);
        assert_eq!(*e.state(), ConnectionState::Closed, "the close is over");
        completions(&mut e);

        e.connect(t0);
        e.submit(request(1), t0).expect("queued while connecting");
        let later = t0 + Duration::from_secs(3);
        e.handle_timeout(later);
        let done = completions(&mut e);
        assert!(
            matches!(e.state(), ConnectionState::Connecting { .. } | ConnectionState::Disconnected { .. }),
            "the new attempt goes on; the engine is {:?}",
            e.state()
        );
        e.close(later);
        let done: Vec<u64> = done.into_iter().chain(completions(&mut e)).collect();
        assert_eq!(done, vec![1], "the queued request completes once, when the engine is closed");
    }
}
