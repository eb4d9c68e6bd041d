use super::sm::{failed_h_outcome, order_outcome};
use super::*;

fn element(xml: &str) -> Element {
    xml.parse().unwrap()
}

#[test]
fn the_response_to_is_the_from_and_only_then() {
    let account = "alice@example.test";
    assert_eq!(
        stream_to_outcome(Some(account), account, None).0,
        Outcome::Pass
    );
    // Prosody 0.12 and ejabberd 23.01 leave it out.
    assert_eq!(stream_to_outcome(None, account, None).0, Outcome::Fail);
    assert_eq!(
        stream_to_outcome(Some("bob@example.test"), account, None).0,
        Outcome::Fail
    );
    assert_eq!(
        stream_to_outcome(Some(account), account, Some(account)).0,
        Outcome::Fail
    );
}

#[test]
fn every_response_header_has_a_language() {
    assert_eq!(stream_lang_outcome(Some("en"), Some("en")).0, Outcome::Pass);
    assert_eq!(stream_lang_outcome(Some("en"), None).0, Outcome::Fail);
    assert_eq!(stream_lang_outcome(None, Some("en")).0, Outcome::Fail);
    assert_eq!(stream_lang_outcome(Some(""), Some("en")).0, Outcome::Fail);
}

#[test]
fn features_after_tls_drop_starttls_and_should_offer_sasl() {
    let ns = "xmlns:stream='http://etherx.jabber.org/streams'";
    let sasl = format!(
        "<stream:features {ns}><mechanisms xmlns='{SASL_NS}'><mechanism>PLAIN</mechanism></mechanisms></stream:features>"
    );
    assert_eq!(features_after_tls_outcome(&element(&sasl)).0, Outcome::Pass);
    let again = format!("<stream:features {ns}><starttls xmlns='{TLS_NS}'/></stream:features>");
    assert_eq!(
        features_after_tls_outcome(&element(&again)).0,
        Outcome::Fail
    );
    let empty = format!("<stream:features {ns}/>");
    assert_eq!(
        features_after_tls_outcome(&element(&empty)).0,
        Outcome::Warn
    );
}

#[test]
fn features_after_sasl_offer_bind_and_no_mechanisms() {
    let ns = "xmlns:stream='http://etherx.jabber.org/streams'";
    let bind = format!("<stream:features {ns}><bind xmlns='{BIND_NS}'/></stream:features>");
    assert_eq!(
        features_after_sasl_outcome(&element(&bind)).0,
        Outcome::Pass
    );
    let both = format!(
        "<stream:features {ns}><bind xmlns='{BIND_NS}'/><mechanisms xmlns='{SASL_NS}'/></stream:features>"
    );
    assert_eq!(
        features_after_sasl_outcome(&element(&both)).0,
        Outcome::Warn
    );
    let none = format!("<stream:features {ns}><sm xmlns='{SM_NS}'/></stream:features>");
    assert_eq!(
        features_after_sasl_outcome(&element(&none)).0,
        Outcome::Fail
    );
}

#[test]
fn each_restart_has_a_new_id() {
    let ids = |v: &[Option<&str>]| v.iter().map(|i| i.map(str::to_owned)).collect::<Vec<_>>();
    assert_eq!(
        restart_ids_outcome(&ids(&[Some("a"), Some("b"), Some("c")])).0,
        Outcome::Pass
    );
    assert_eq!(
        restart_ids_outcome(&ids(&[Some("a"), Some("b"), Some("a")])).0,
        Outcome::Fail
    );
    assert_eq!(
        restart_ids_outcome(&ids(&[Some("a"), None])).0,
        Outcome::Fail
    );
}

#[test]
fn iq_answers_are_read_by_id() {
    let mut a = Answer::default();
    a.elements.push(element(
        "<iq xmlns='jabber:client' type='error' id='x'><error type='modify'>\
         <bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    ));
    a.elements
        .push(element("<iq xmlns='jabber:client' type='result' id='y'/>"));
    assert_eq!(
        iq_answer(&a, "x"),
        IqAnswer::Error(Some("bad-request".into()))
    );
    assert_eq!(iq_answer(&a, "y"), IqAnswer::Result);
    assert_eq!(iq_answer(&a, "z"), IqAnswer::Nothing("no answer"));
    a.stream_error = Some("not-authorized".into());
    assert_eq!(
        iq_answer(&a, "z"),
        IqAnswer::StreamError("not-authorized".into())
    );
}

#[test]
fn whitespace_between_elements_is_taken() {
    assert_eq!(whitespace_outcome(&IqAnswer::Result).0, Outcome::Pass);
    assert_eq!(
        whitespace_outcome(&IqAnswer::Error(Some("service-unavailable".into()))).0,
        Outcome::Pass
    );
    assert_eq!(
        whitespace_outcome(&IqAnswer::StreamError("not-well-formed".into())).0,
        Outcome::Fail
    );
    assert_eq!(
        whitespace_outcome(&IqAnswer::Nothing("no answer")).0,
        Outcome::Fail
    );
}

#[test]
fn nothing_after_the_close_is_answered() {
    assert_eq!(after_close_outcome(false, true).0, Outcome::Pass);
    assert_eq!(after_close_outcome(false, false).0, Outcome::Pass);
    assert_eq!(after_close_outcome(true, true).0, Outcome::Fail);
}

#[test]
fn malformed_requests_get_the_named_error() {
    let bad = IqAnswer::Error(Some("bad-request".into()));
    assert_eq!(error_outcome(&bad, "bad-request").0, Outcome::Pass);
    assert_eq!(error_outcome(&bad, "jid-malformed").0, Outcome::Warn);
    assert_eq!(
        error_outcome(&IqAnswer::Error(None), "bad-request").0,
        Outcome::Warn
    );
    assert_eq!(
        error_outcome(&IqAnswer::Result, "bad-request").0,
        Outcome::Fail
    );
    assert_eq!(
        error_outcome(
            &IqAnswer::StreamError("invalid-xml".into()),
            "jid-malformed"
        )
        .0,
        Outcome::Fail
    );
    assert_eq!(
        error_outcome(&IqAnswer::Nothing("no answer"), "bad-request").0,
        Outcome::Fail
    );
}

#[test]
fn an_iq_error_gets_no_reply() {
    assert_eq!(
        error_unanswered_outcome(&IqAnswer::Nothing("no answer")).0,
        Outcome::Pass
    );
    assert_eq!(
        error_unanswered_outcome(&IqAnswer::Error(None)).0,
        Outcome::Fail
    );
    assert_eq!(error_unanswered_outcome(&IqAnswer::Result).0, Outcome::Fail);
    assert_eq!(
        error_unanswered_outcome(&IqAnswer::StreamError("x".into())).0,
        Outcome::Warn
    );
}

#[test]
fn enable_before_binding_is_refused_with_failed() {
    let failed = Sm::Failed {
        h: None,
        condition: Some(xmpp_stanza::DefinedCondition::UnexpectedRequest),
    };
    assert_eq!(order_outcome(&Ok(failed)).0, Outcome::Pass);
    let enabled = Sm::Enabled {
        id: None,
        location: None,
        max: None,
        resume: false,
    };
    assert_eq!(order_outcome(&Ok(enabled)).0, Outcome::Fail);
    // xmpp serve before the fix: a stream error.
    assert_eq!(
        order_outcome(&Err("the stream error <not-authorized/>".into())).0,
        Outcome::Warn
    );
    assert_eq!(order_outcome(&Err("no answer".into())).0, Outcome::Fail);
}

#[test]
fn a_timed_out_session_may_say_how_far_it_got() {
    let failed = |h| {
        Ok(Sm::Failed {
            h,
            condition: Some(xmpp_stanza::DefinedCondition::ItemNotFound),
        })
    };
    assert_eq!(failed_h_outcome(&failed(Some(2)), 2).0, Outcome::Pass);
    assert_eq!(failed_h_outcome(&failed(Some(1)), 2).0, Outcome::Fail);
    assert_eq!(failed_h_outcome(&failed(None), 2).0, Outcome::Skip);
    assert_eq!(
        failed_h_outcome(&Err("the stream ended".into()), 2).0,
        Outcome::Fail
    );
}
