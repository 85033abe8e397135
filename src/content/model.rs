//! `ModelProvider`: a language model (any provider of the `ai` registry) personalises the
//! rendered draft, from the email prompt of [`super::prompt`].

use std::sync::Arc;

use async_trait::async_trait;

use super::error::ContentError;
use super::prompt::{email_request, generated_from};
use super::provider::{ContentProvider, Generated, GenerationRequest};
use crate::ai::LanguageModel;

pub struct ModelProvider {
    model: Arc<dyn LanguageModel>,
}

impl ModelProvider {
    pub fn new(model: Arc<dyn LanguageModel>) -> Self {
        Self { model }
    }
}

#[async_trait]
impl ContentProvider for ModelProvider {
    fn name(&self) -> &'static str {
        self.model.provider()
    }

    async fn generate(&self, req: &GenerationRequest) -> Result<Generated, ContentError> {
        let answer = self.model.complete_json(&email_request(req)?).await?;
        generated_from(answer, req)
    }
}
