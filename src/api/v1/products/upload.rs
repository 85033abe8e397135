//! `POST /products/{id}/file`: a `.txt`, `.pdf` or `.docx` document, sent as the `file` field
//! of a multipart form, whose text becomes the product's description. The body is read as it
//! streams and refused past [`UPLOAD_LIMIT`]; the text is extracted by `service::products` on a
//! blocking thread.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, web};
use futures_util::TryStreamExt;
use utoipa::ToSchema;

use super::ProductView;
use crate::api::ApiState;
use crate::api::v1::caller::Caller;
use crate::api::v1::problem::{ApiError, Problem};
use crate::domain::{ProductId, Role};
use crate::service::products as service;

/// Largest document accepted (bytes): brochures and data sheets fit many times over.
pub const UPLOAD_LIMIT: usize = 10 * 1024 * 1024;

/// Room for the form's boundaries and part headers around the document.
const FORM_OVERHEAD: usize = 64 * 1024;

/// The form `POST /products/{id}/file` takes.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the multipart body for the OpenAPI document only.
pub struct UploadForm {
    /// The document: `.txt` (UTF-8), `.pdf` or `.docx`, at most 10 MB. Its file name gives
    /// its type.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

fn bad_form(e: actix_multipart::MultipartError) -> ApiError {
    ApiError::BadRequest(format!(
        "the body must be multipart/form-data with a field named \"file\": {e}"
    ))
}

/// The `file` field's file name and bytes. Other fields are read past (and count towards the
/// limit).
async fn read_file(form: &mut Multipart) -> Result<(String, Vec<u8>), ApiError> {
    let mut read = 0usize;
    while let Some(mut field) = form.try_next().await.map_err(bad_form)? {
        let is_file = field.name() == Some("file");
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(bad_form)? {
            read += chunk.len();
            if read > UPLOAD_LIMIT {
                return Err(ApiError::TooLarge(UPLOAD_LIMIT));
            }
            if is_file {
                bytes.extend_from_slice(&chunk);
            }
        }
        if is_file {
            let name = file_name.filter(|n| !n.trim().is_empty()).ok_or_else(|| {
                ApiError::invalid(
                    "file",
                    "the file has no file name: its extension (.txt, .pdf, .docx) gives its type",
                )
            })?;
            return Ok((name, bytes));
        }
    }
    Err(ApiError::invalid(
        "file",
        "the form has no field named \"file\"",
    ))
}

/// Sets a product's description from a document (member): `.txt` (UTF-8), `.pdf` or `.docx`,
/// at most 10 MB, sent as the multipart field `file`. The file's name is kept as the source.
#[utoipa::path(post, path = "/api/v1/products/{id}/file", tag = "products",
    params(("id" = ProductId, Path, description = "The product")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The product with its new description", body = ProductView),
        (status = 400, description = "Not a multipart form", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Needs member", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The document is larger than 10 MB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unsupported type, a damaged document or one without text (under `file`)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn upload(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<ProductId>,
    request: HttpRequest,
    mut form: Multipart,
) -> Result<web::Json<ProductView>, ApiError> {
    caller.require(Role::Member)?;
    let (ws, id) = (caller.workspace(), id.into_inner());
    // Answer 404 before reading a body that may be large.
    service::get(state.store.as_ref(), ws, id).await?;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > UPLOAD_LIMIT + FORM_OVERHEAD) {
        return Err(ApiError::TooLarge(UPLOAD_LIMIT));
    }
    let (file_name, bytes) = read_file(&mut form).await?;
    let product =
        service::describe_from_file(state.store.as_ref(), ws, id, &file_name, bytes).await?;
    Ok(web::Json(product.into()))
}
