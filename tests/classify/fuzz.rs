//! Hostile input: arbitrary bytes and mutated corpus messages never panic the classifier and
//! are answered quickly (an `Ok` or a typed error; which one does not matter here).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use outreachd::imap::classify::judge;
use proptest::prelude::*;

/// Generous for a debug build on a busy two-core machine; a real answer takes microseconds.
const QUICK: Duration = Duration::from_secs(2);

fn corpus_bytes() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        super::corpus()
            .iter()
            .map(|p| std::fs::read(p).expect("a readable corpus file"))
            .collect()
    })
}

fn classify_quickly(input: &[u8]) {
    let known = super::Known::load();
    let ctx = known.context();
    let started = Instant::now();
    let _ = judge(input, &ctx);
    let took = started.elapsed();
    assert!(
        took < QUICK,
        "classify took {took:?} on {} bytes",
        input.len()
    );
}

/// One edit to a message: overwrite, insert or delete a byte run, or cut the message short.
#[derive(Clone, Debug)]
enum Mutation {
    Overwrite { at: usize, bytes: Vec<u8> },
    Insert { at: usize, bytes: Vec<u8> },
    Delete { at: usize, len: usize },
    Truncate { at: usize },
    Duplicate { at: usize, len: usize, times: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let bytes = prop::collection::vec(
        prop_oneof![
            any::<u8>(),
            Just(b'\r'),
            Just(b'\n'),
            Just(b':'),
            Just(b'<'),
            Just(b'-'),
            Just(b'='),
        ],
        1..16,
    );
    prop_oneof![
        (any::<usize>(), bytes.clone()).prop_map(|(at, bytes)| Mutation::Overwrite { at, bytes }),
        (any::<usize>(), bytes).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1..64usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), 1..200usize, 2..50usize)
            .prop_map(|(at, len, times)| Mutation::Duplicate { at, len, times }),
    ]
}

fn apply(mut message: Vec<u8>, mutation: &Mutation) -> Vec<u8> {
    let at_in = |at: usize, len: usize| if len == 0 { 0 } else { at % len };
    match mutation {
        Mutation::Overwrite { at, bytes } => {
            let start = at_in(*at, message.len());
            for (i, b) in bytes.iter().enumerate() {
                if let Some(slot) = message.get_mut(start + i) {
                    *slot = *b;
                }
            }
        }
        Mutation::Insert { at, bytes } => {
            let start = at_in(*at, message.len() + 1);
            message.splice(start..start, bytes.iter().copied());
        }
        Mutation::Delete { at, len } => {
            let start = at_in(*at, message.len());
            let end = (start + len).min(message.len());
            message.drain(start..end);
        }
        Mutation::Truncate { at } => message.truncate(at_in(*at, message.len() + 1)),
        Mutation::Duplicate { at, len, times } => {
            let start = at_in(*at, message.len());
            let end = (start + len).min(message.len());
            let run = message[start..end].repeat(*times);
            message.splice(end..end, run);
        }
    }
    message
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_finish_quickly(input in prop::collection::vec(any::<u8>(), 0..4096)) {
        classify_quickly(&input);
    }

    #[test]
    fn header_shaped_noise_never_panics(
        lines in prop::collection::vec("[A-Za-z-]{1,12}: [ -~]{0,60}", 0..30),
        body in "[ -~\r\n]{0,400}",
    ) {
        let message = format!("{}\r\n\r\n{body}", lines.join("\r\n"));
        classify_quickly(message.as_bytes());
    }

    #[test]
    fn mutated_corpus_messages_never_panic_and_finish_quickly(
        pick in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..8),
    ) {
        let corpus = corpus_bytes();
        let mut message = corpus[pick % corpus.len()].clone();
        for m in &mutations {
            message = apply(message, m);
        }
        classify_quickly(&message);
    }
}
