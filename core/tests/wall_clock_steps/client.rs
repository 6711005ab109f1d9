//! The child process: a client on the hub, taking orders on stdin and reporting on stdout, one
//! line each.
//!
//! Orders: `send N` (N more requests), `probe` (report the wall clock, then one more request),
//! `finish` (wait for every request, then say `finished`). Reports: `connected`,
//! `wall SECONDS` (the wall clock as this process sees it), `done I ok` or `done I error ...`,
//! `state NAME` (any change of the connection's state after connecting), `finished`.

use std::io::BufRead;
use std::time::{Duration, SystemTime};

use captivate::{Client, Config, Event, ListOptions};

pub fn run(url: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    rt.block_on(client(url));
}

async fn client(url: &str) {
    let config = Config::new("test-key").url(url);
    let client = Client::connect(config).await.expect("connects to the hub");
    let mut events = client.events();
    // The stream opens with the states the client went through to connect.
    loop {
        match events.next_timeout(Duration::from_secs(10)).await.expect("the client connects") {
            Event::State(s) if s.current.name() == "connected" => break,
            _ => {}
        }
    }
    println!("connected");
    tokio::spawn(async move {
        while let Some(e) = events.next().await {
            if let Event::State(s) = e {
                println!("state {}", s.current.name());
            }
        }
    });
    let (tx, mut orders) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut requests = Vec::new();
    while let Some(order) = orders.recv().await {
        let mut words = order.split_whitespace();
        match (words.next(), words.next()) {
            (Some("send"), Some(n)) => {
                for _ in 0..n.parse::<usize>().expect("a count") {
                    requests.push(request(&client, requests.len()));
                }
            }
            (Some("probe"), None) => {
                let wall = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).expect("after 1970");
                println!("wall {}", wall.as_secs());
                requests.push(request(&client, requests.len()));
            }
            (Some("finish"), None) => {
                for r in requests.drain(..) {
                    r.await.expect("the request task ends");
                }
                println!("finished");
                break;
            }
            _ => panic!("unknown order {order:?}"),
        }
    }
    client.close().await;
}

/// Lists the conversations of a user of its own (`clock-user-I`), and reports the outcome.
fn request(client: &Client, i: usize) -> tokio::task::JoinHandle<()> {
    let pending = client.list_conversations(ListOptions { user_id: format!("clock-user-{i}"), ..Default::default() });
    tokio::spawn(async move {
        match pending.await {
            Ok(_) => println!("done {i} ok"),
            Err(e) => println!("done {i} error {e}"),
        }
    })
}
