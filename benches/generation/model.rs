//! A local model: answers OpenAI chat-completions requests with one email after a uniformly
//! random delay of `latency ± jitter`, and counts the requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rand::Rng;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub struct SlowModel {
    server: MockServer,
    pub calls: Arc<AtomicUsize>,
}

struct Answer {
    latency: Duration,
    jitter: Duration,
    calls: Arc<AtomicUsize>,
}

impl Respond for Answer {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let jitter = self.jitter.as_millis() as i64;
        let offset = rand::rng().random_range(-jitter..=jitter);
        let delay = (self.latency.as_millis() as i64 + offset).max(0) as u64;
        let content = r#"{"subject": "A thought on outbound", "body": "Hi,\n\nShort and personal.\n\nSender"}"#;
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({
                "id": "chatcmpl-bench",
                "object": "chat.completion",
                "model": "bench-model",
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop"
                }],
                "usage": {"prompt_tokens": 600, "completion_tokens": 120, "total_tokens": 720}
            }))
            .set_delay(Duration::from_millis(delay))
    }
}

impl SlowModel {
    pub async fn start(latency: Duration, jitter: Duration) -> Self {
        let server = MockServer::start().await;
        let calls = Arc::new(AtomicUsize::new(0));
        Mock::given(method("POST"))
            .and(path("/chat/completions"))
            .respond_with(Answer {
                latency,
                jitter,
                calls: calls.clone(),
            })
            .mount(&server)
            .await;
        Self { server, calls }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }
}
