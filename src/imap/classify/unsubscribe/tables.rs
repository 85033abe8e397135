//! The word tables of `unsubscribe.rs`: phrases, short words, and the words that make an
//! opt-out phrase mean something else (negations, objects, nouns, hedges).

/// Phrases (matched at a word start, so stems like "descadastr" cover their endings).
#[rustfmt::skip]
pub(super) const PHRASES: &[&str] = &[
    // English
    "unsubscrib", "remove me", "remove my email", "remove my address", "remove us from",
    "remove this email", "take me off", "take us off", "opt out", "opt me out", "do not contact me",
    "don t contact me", "dont contact me", "do not email me", "don t email me", "stop emailing",
    "stop sending", "stop contacting", "no more emails",
    // German
    "abmelden", "abbestellen", "austragen", "tragen sie mich", "tragt mich", "entfernen sie mich",
    "loschen sie mich", "keine weiteren e mails", "keine weiteren mails", "keine e mails mehr",
    "keine mails mehr", "nicht mehr kontaktieren", "nicht mehr anschreiben",
    // French
    "desabonn", "desinscri", "retirez moi", "supprimez moi", "ne plus recevoir",
    "ne me contactez plus", "arretez de m",
    // Spanish
    "darme de baja", "dar de baja", "darse de baja", "denme de baja", "eliminarme", "elimineme",
    "borrarme", "quitarme", "no me contacten", "no quiero recibir", "dejen de enviar",
    "cancelar suscripcion", "cancelar mi suscripcion",
    // Italian
    "disiscriv", "cancellami", "cancellarmi", "cancellatemi", "rimuovimi", "rimuovetemi",
    "rimuovermi", "togliermi", "toglietemi", "non contattatemi", "non voglio ricevere",
    // Dutch
    "afmelden", "uitschrijven", "schrijf me uit", "schrijf mij uit", "verwijder me",
    "verwijder mij", "geen e mails meer", "geen mails meer", "niet meer mailen",
    // Swedish
    "avregistrera", "avprenumerera", "avsluta prenumeration", "ta bort mig", "sluta skicka",
    "sluta maila", "sluta mejla", "inga fler mejl", "inga fler mail",
    // Portuguese
    "descadastr", "cancelar inscricao", "cancelar subscricao", "me remova", "me remover",
    "remova me", "remover me", "me tire da", "me retire da", "nao quero receber", "parem de enviar",
];

/// Words that are an unsubscribe request when they are (almost) all the new text says.
#[rustfmt::skip]
pub(super) const SHORT_WORDS: &[&str] = &[
    "stop", "stopp", "stoppen", "stoppa", "arret", "arrete", "arretez", "basta", "baja", "pare",
    "parem", "remove", "unsubscribe",
];
/// Words that may stand beside a short word in its clause ("Stop please", "STOP!! thanks").
#[rustfmt::skip]
pub(super) const POLITE: &[&str] = &[
    "please", "pls", "plz", "thanks", "thank", "you", "thx", "now", "it", "me", "bitte", "danke",
    "merci", "svp", "gracias", "por", "favor", "grazie", "graag", "aub", "tack", "obrigado",
    "obrigada", "ok",
];
pub(super) const SHORT_LIMIT_WORDS: usize = 4;

/// Words that negate a phrase right after them (English, German, French, Dutch, Swedish,
/// Italian, "no need to"); Spanish and Portuguese phrases carry their own "no"/"nao".
pub(super) const NEGATIONS: &[&str] = &[
    "no", "don", "dont", "not", "never", "nicht", "nie", "pas", "niet", "inte", "non",
];
/// Words that may sit between a negation and the phrase it negates ("don't you dare remove
/// me" is rare; "please don't ever remove me", "I do not want you to remove me" are not).
#[rustfmt::skip]
pub(super) const NEGATION_FILLERS: &[&str] = &[
    "t", "do", "does", "please", "you", "ever", "want", "need", "to", "should", "will", "won",
    "wouldn", "shouldn", "can", "go", "just", "yet", "i", "we", "bitte", "uns", "mich",
];

/// Objects that turn a "take me off" / "remove me from" into a change of who is in a
/// conversation (the CC line, an invite), not an opt-out.
#[rustfmt::skip]
pub(super) const CONVERSATION_OBJECTS: &[&str] = &[
    "cc", "bcc", "invite", "invitation", "meeting", "call", "calendar", "invoice", "copy",
    "copia", "copie", "kopie", "kopia", "kopian", "termin", "webinar", "event", "demo",
];
/// Objects that make "remove me from this thread" a hand-over when the text names someone to
/// take over, and otherwise leave it for a person: in cold outreach the thread is our mail.
#[rustfmt::skip]
pub(super) const THREAD_OBJECTS: &[&str] = &[
    "thread", "chain", "loop", "conversation", "hilo", "fil", "trad", "traden", "draad",
];
/// Words (`text::words` form) that hand the conversation to someone else.
#[rustfmt::skip]
pub(super) const HANDOVER: &[&str] = &[
    " colleague", " take over", " takes over", " instead ", " add ", " loop in ", " forward",
    " kollege", " kollegin", " collegue", " colega", " collega", " kollega", " cc ",
];

/// Words after "unsubscribe"/"opt out" that make it a noun or adjective ("unsubscribe rates in
/// your case study", "the opt-out link"), and words before it that do the same.
#[rustfmt::skip]
pub(super) const NOUN_AFTER: &[&str] = &[
    "rate", "rates", "ratio", "metrics", "numbers", "stats", "statistics", "data", "figures",
    "flow", "flows", "process", "feature", "link", "links", "button", "page", "footer", "header",
    "headers", "requests", "compliance", "handling", "management", "events", "tracking", "trend",
    "trends", "option", "options", "form", "mechanism", "url",
];
#[rustfmt::skip]
pub(super) const NOUN_BEFORE: &[&str] = &[
    "the", "our", "your", "their", "an", "low", "high", "higher", "lower", "reduce", "reducing",
    "track", "tracking", "about", "many", "more", "fewer", "of",
];
/// Phrases that `NOUN_AFTER`/`NOUN_BEFORE` apply to.
pub(super) const NOUN_PHRASES: &[&str] = &["unsubscrib", "opt out"];
/// Phrases that ask us to stop only when what follows is us, our mail, or nothing
/// ("stop sending me these", "stop emailing") and not another object ("we need to stop sending
/// invoices by hand").
pub(super) const OBJECT_PHRASES: &[&str] = &["stop sending", "stop emailing", "stop contacting"];
#[rustfmt::skip]
pub(super) const OUR_MAIL: &[&str] = &[
    "me", "us", "these", "this", "them", "emails", "email", "mails", "mail", "e", "messages",
    "your", "any", "so", "please", "thanks", "thank", "i", "we", "anything", "stuff",
];

/// Words that make a request conditional ("if this isn't relevant, remove me").
#[rustfmt::skip]
pub(super) const CONDITIONALS: &[&str] = &[
    "if", "unless", "wenn", "falls", "sofern", "si", "tenzij", "caso",
];
/// Words after a conditional that make it a polite request instead ("if you could remove me").
#[rustfmt::skip]
pub(super) const POLITE_IF: &[&str] = &[
    "you could", "you can", "you would", "you wouldn", "you don", "possible", "moglich", "sie mich",
    "vous pouvez", "vous pourriez", "usted", "puede", "possibile", "mogelijk", "mojligt",
    "possivel",
];
/// Words that offer an alternative to the request ("… otherwise, what does it cost?").
#[rustfmt::skip]
pub(super) const OTHERWISE: &[&str] = &[
    "otherwise", "sonst", "ansonsten", "sinon", "altrimenti", "anders", "annars", "ellers",
    "contrario", "senao",
];
/// Phrases (`text::words` form) that put a request off rather than end the conversation
/// ("remove me for now, check back in Q3"). A bare "for now" is not one: "not for now,
/// remove me" is a plain refusal.
#[rustfmt::skip]
pub(super) const DEFERRALS: &[&str] = &[
    " check back", " reach out again", " try again in", " next quarter ", " later this year",
    " in a few months", " in q1 ", " in q2 ", " in q3 ", " in q4 ", " melden sie sich gern",
    " recontactez moi", " vuelva a contactar", " ricontattatemi",
];

/// Words of a buying question ("what does it cost?", "can we do a demo?").
#[rustfmt::skip]
pub(super) const INTEREST: &[&str] = &[
    "cost", "costs", "price", "prices", "pricing", "priced", "demo", "trial", "quote", "budget",
    "call", "meeting", "meet", "integrate", "integration", "kosten", "kostet", "preis", "preise",
    "termin", "prix", "tarif", "tarifs", "cout", "coute", "precio", "precios", "coste", "cuesta",
    "prezzo", "prezzi", "costo", "costa", "prijs", "prijzen", "kost", "pris", "priser", "kostar",
    "preco", "precos", "custo", "custa",
];

/// Closing lines of mobile and webmail clients ("Sent from my iPhone"): not words the sender
/// chose, so they must not push a bare "STOP" past the short-word limit.
#[rustfmt::skip]
pub(super) const CLIENT_SIGNATURES: &[&str] = &[
    "sent from my ", "sent from yahoo mail", "sent from outlook", "sent from mail for windows",
    "sent from the ", "sent via ", "sent with ", "get outlook for ", "von meinem ",
    "gesendet von ", "gesendet mit ", "envoye de mon ", "envoye depuis ", "enviado desde mi ",
    "enviado desde ", "enviado de meu ", "enviado do meu ", "enviado do ", "inviato da ",
    "inviato dal mio ", "verstuurd vanaf mijn ", "verzonden vanaf mijn ", "verzonden met ",
    "skickat fran min ", "skickat fran ", "sendt fra min ", "sendt fra ", "lahetetty ",
];

/// Subjects (after prefix stripping) that are a request on their own.
#[rustfmt::skip]
pub(super) const SUBJECTS: &[&str] = &[
    "unsubscribe", "remove", "remove me", "stop", "opt out", "abmelden", "abbestellen",
    "desabonner", "desinscription", "desinscrire", "baja", "darme de baja", "cancellazione",
    "disiscrizione", "afmelden", "uitschrijven", "avregistrera", "avregistrering", "descadastrar",
    "descadastro",
];
