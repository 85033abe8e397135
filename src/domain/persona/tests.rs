//! Validation of a model's persona answer and the schema asked for.

use serde_json::{Map, Value, json};

use super::*;

fn answer() -> Map<String, Value> {
    let Value::Object(map) = json!({
        "title": " VP Operations ",
        "industry": "Freight",
        "painPoints": ["late trucks", "paperwork"],
        "priorities": ["on-time delivery"],
        "icebreakerHooks": ["their new Ohio depot"],
        "openingLines": ["Saw the Ohio depot opening."],
        "companyContext": "Acme runs 400 trucks across the Midwest.",
        "keyTakeaways": ["cares about reliability"]
    }) else {
        unreachable!()
    };
    map
}

fn error_with(field: &str, value: Value) -> PersonaFieldError {
    let mut a = answer();
    a.insert(field.into(), value);
    Persona::from_model(&a).unwrap_err()
}

#[test]
fn a_complete_answer_is_a_persona_with_trimmed_texts() {
    let persona = Persona::from_model(&answer()).unwrap();
    assert_eq!(persona.title, "VP Operations");
    assert_eq!(persona.pain_points, ["late trucks", "paperwork"]);
}

#[test]
fn the_stored_json_keeps_the_seed_field_names() {
    let json = Persona::from_model(&answer()).unwrap().to_json();
    assert_eq!(json["painPoints"][0], "late trucks");
    assert_eq!(
        json["companyContext"],
        "Acme runs 400 trucks across the Midwest."
    );
    let stored: Persona = serde_json::from_value(json).unwrap();
    assert_eq!(stored.industry, "Freight");
}

#[test]
fn a_missing_field_is_named() {
    let mut a = answer();
    a.remove("icebreakerHooks");
    let err = Persona::from_model(&a).unwrap_err();
    assert_eq!(err.to_string(), "persona field icebreakerHooks: is missing");
}

#[test]
fn a_field_of_the_wrong_type_is_named() {
    assert_eq!(error_with("title", json!(3)).field, "title");
    assert_eq!(
        error_with("painPoints", json!("late trucks")).to_string(),
        "persona field painPoints: is not a list"
    );
    assert_eq!(
        error_with("priorities", json!(["ok", 2])).to_string(),
        "persona field priorities[1]: is not a string"
    );
}

#[test]
fn empty_texts_and_empty_lists_are_refused() {
    assert_eq!(
        error_with("industry", json!("  ")).to_string(),
        "persona field industry: is empty"
    );
    assert_eq!(
        error_with("keyTakeaways", json!([])).to_string(),
        "persona field keyTakeaways: is empty"
    );
    assert_eq!(
        error_with("openingLines", json!(["fine", ""])).field,
        "openingLines[1]"
    );
}

#[test]
fn oversized_answers_are_refused() {
    let many: Vec<String> = (0..11).map(|i| format!("item {i}")).collect();
    assert_eq!(
        error_with("painPoints", json!(many)).to_string(),
        "persona field painPoints: has 11 items, more than 10"
    );
    let long = "x".repeat(MAX_PERSONA_CONTEXT_CHARS + 1);
    assert_eq!(
        error_with("companyContext", json!(long)).field,
        "companyContext"
    );
}

#[test]
fn a_field_outside_the_schema_is_named() {
    assert_eq!(
        error_with("email", json!("ann@acme.test")).to_string(),
        "persona field email: is not a persona field"
    );
}

#[test]
fn the_schema_requires_every_field_and_nothing_else() {
    let schema = Persona::schema();
    assert_eq!(schema["additionalProperties"], false);
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required.len(), 8);
    for field in required {
        assert!(schema["properties"].get(field).is_some(), "{field}");
    }
    assert_eq!(
        schema["properties"]["painPoints"]["items"]["type"],
        "string"
    );
}
