//! `Body<T>`: a JSON request body that must be an object. serde reads a struct from a JSON
//! array too (`[null, null]` fills its fields in order), which no client means and the OpenAPI
//! document forbids; this extractor refuses anything but an object before deserialising.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use serde::de::DeserializeOwned;

use super::problem::ApiError;

pub struct Body<T>(pub T);

impl<T> Body<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Body<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // The JSON extractor keeps its size limit and error answers (`JsonConfig`).
        let json = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = json.await?.into_inner();
            if !value.is_object() {
                return Err(
                    ApiError::Unprocessable("the body must be a JSON object".into()).into(),
                );
            }
            serde_json::from_value(value)
                .map(Body)
                .map_err(|e| ApiError::Unprocessable(format!("invalid body: {e}")).into())
        })
    }
}
