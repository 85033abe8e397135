//! Compiled templates kept between renders: lexing and parsing were a third of the CPU of
//! rendering a step, and the same few sources are rendered for every lead of a campaign.
//!
//! Keyed by the part and the exact source after spintax expansion, so an edited step (or another
//! spintax pick) is simply another key; bounded in entries and bytes, an arbitrary entry is
//! dropped to make room. A miss costs a parse and a compile.
//!
//! Each entry is a clone of the sandboxed environment (cheap: its filters, tests and globals
//! are shared) owning one template under the part's name, which is how minijinja lets a compiled
//! template outlive the borrowed source. That template is reachable by name from inside the
//! entry, so a source with an `include`, `import`, `extends` or `from` tag is never cached: it is
//! compiled against the template-less environment, where the tag fails as before.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use minijinja::{Environment, Error};

use super::error::TemplatePart;

/// Most compiled templates kept: a campaign's steps times their distinct spintax expansions.
const MAX_ENTRIES: usize = 1024;
/// Most source bytes kept (a compiled template is a small multiple of its source).
const MAX_SOURCE_BYTES: usize = 4 * 1024 * 1024;

/// An environment holding one compiled template, named after its part.
pub(super) type Compiled = Arc<Environment<'static>>;

#[derive(Default)]
struct Cache {
    /// By part (subject, body): the template name, hence the errors, depend on it.
    by_part: [HashMap<String, Compiled>; 2],
    source_bytes: usize,
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Mutex::default);

fn slot(part: TemplatePart) -> usize {
    match part {
        TemplatePart::Subject => 0,
        TemplatePart::Body => 1,
    }
}

/// The compiled `source`, from the cache or compiled now in a clone of `sandbox` and kept.
/// `Ok(None)` when the source must not be cached (it names other templates); a syntax error is
/// returned as minijinja reports it.
pub(super) fn compiled(
    sandbox: &Environment<'static>,
    part: TemplatePart,
    source: &str,
) -> Result<Option<Compiled>, Error> {
    if loads_templates(source) {
        return Ok(None);
    }
    // A panic while holding the lock cannot leave a map half-updated, so a poisoned cache is
    // still a valid cache.
    let hit = CACHE.lock().unwrap_or_else(PoisonError::into_inner).by_part[slot(part)]
        .get(source)
        .cloned();
    if let Some(hit) = hit {
        return Ok(Some(hit));
    }
    // Compiled outside the lock so concurrent renders never wait for a parse; two renders of a
    // new source may both compile it, and the second simply replaces the first.
    let mut env = sandbox.clone();
    env.add_template_owned(part.name(), source.to_owned())?;
    let env = Arc::new(env);
    CACHE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(part, source, env.clone());
    Ok(Some(env))
}

impl Cache {
    fn insert(&mut self, part: TemplatePart, source: &str, env: Compiled) {
        if source.len() > MAX_SOURCE_BYTES {
            return;
        }
        while self.by_part.iter().map(HashMap::len).sum::<usize>() >= MAX_ENTRIES
            || self.source_bytes + source.len() > MAX_SOURCE_BYTES
        {
            if !self.evict_one() {
                break;
            }
        }
        if self.by_part[slot(part)]
            .insert(source.to_owned(), env)
            .is_none()
        {
            self.source_bytes += source.len();
        }
    }

    /// Drops an arbitrary entry of the fuller part (the first its map yields); false when the
    /// cache is empty.
    fn evict_one(&mut self) -> bool {
        let Some(map) = self.by_part.iter_mut().max_by_key(|map| map.len()) else {
            return false;
        };
        let Some(key) = map.keys().next().cloned() else {
            return false;
        };
        map.remove(&key);
        self.source_bytes -= key.len();
        true
    }
}

/// True when `source` has a tag that loads a template by name (`{% include`, `{%- import`,
/// `{% extends`, `{% from`). Errs on the safe side: the same words inside a string or a raw
/// block only cost the cache.
fn loads_templates(source: &str) -> bool {
    source.match_indices("{%").any(|(at, _)| {
        // `at + 2` is just past two ASCII bytes: a character boundary.
        let rest = &source[at + 2..];
        let rest = rest.strip_prefix(['-', '+']).unwrap_or(rest).trim_start();
        ["include", "import", "extends", "from"]
            .iter()
            .any(|word| rest.starts_with(word))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_that_load_templates_are_recognised_however_they_are_spaced() {
        for source in [
            "{% include 'x' %}",
            "a {%- import 'x' as y %}",
            "{%+extends 'x' %}",
            "{%\n from 'x' import y %}",
        ] {
            assert!(loads_templates(source), "{source}");
        }
        for source in [
            "Our plans include a trial",
            "{{ include }}",
            "{% if x %}from{% endif %}",
        ] {
            assert!(!loads_templates(source), "{source}");
        }
    }

    #[test]
    fn the_cache_stays_within_its_bounds() {
        let mut cache = Cache::default();
        let env = Arc::new(Environment::new());
        for i in 0..MAX_ENTRIES + 10 {
            cache.insert(TemplatePart::Body, &format!("template {i}"), env.clone());
        }
        let entries: usize = cache.by_part.iter().map(HashMap::len).sum();
        assert_eq!(entries, MAX_ENTRIES);
        let bytes: usize = cache.by_part[1].keys().map(String::len).sum();
        assert_eq!(cache.source_bytes, bytes);
        let big = "x".repeat(MAX_SOURCE_BYTES / 2 + 1);
        cache.insert(TemplatePart::Subject, &big, env.clone());
        cache.insert(TemplatePart::Body, &format!("{big}y"), env);
        assert!(cache.source_bytes <= MAX_SOURCE_BYTES);
    }
}
