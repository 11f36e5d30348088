//! What councilbot says in Teams: messages in Markdown, choices and confirmations as Adaptive
//! Cards whose buttons send `Action.Execute`, answers with a card whose `Action.Submit` buttons
//! say whether they helped, and the cards that alert supervisors.

use bot::conversation::feedback::Vote;
use bot::conversation::{ChoiceOption, Escalation, Reply, StoredMessage};
use knowledge_base::Language;
use serde_json::{Value, json};

/// The content type of an Adaptive Card attachment.
pub const CARD_TYPE: &str = "application/vnd.microsoft.card.adaptive";
/// The verb of a choice picked from a card.
pub const CHOOSE: &str = "choose";
/// The verb that claims an escalation.
pub const CLAIM: &str = "claim";
/// The verb that approves a workflow's task.
pub const APPROVE: &str = "approve";
/// The verb that rejects a workflow's task.
pub const REJECT: &str = "reject";

/// The field of an `Action.Submit`'s data that carries a vote on an answer (`helpful` or
/// `unhelpful`); `message` names the answer.
pub const FEEDBACK: &str = "feedback";

/// The most buttons shown before choices become a list.
const MOST_BUTTONS: usize = 5;
/// The most characters of text put on a card (cards may be at most 28 KB).
const MOST_CARD_TEXT: usize = 8000;

/// A card with the Adaptive Card schema and version Teams supports for `Action.Execute`.
pub fn card(body: Vec<Value>, actions: Vec<Value>) -> Value {
    let mut card = json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
    });
    if !actions.is_empty() {
        card["actions"] = Value::Array(actions);
    }
    card
}

fn text_block(text: &str) -> Value {
    let text: String = text.chars().take(MOST_CARD_TEXT).collect();
    json!({"type": "TextBlock", "text": text, "wrap": true})
}

fn execute(title: &str, verb: &str, data: Value) -> Value {
    json!({"type": "Action.Execute", "title": title, "verb": verb, "data": data})
}

/// The words of a card in `language`.
fn words(language: Language, key: &str, values: &[(&str, &str)]) -> String {
    crate::words::interface_words().fill(language, key, values)
}

/// Buttons for a few choices, a list with one button for many; each carries the language the
/// card is in, for the card that replaces it.
fn choice_actions(choices: &[ChoiceOption], language: Language) -> (Vec<Value>, Vec<Value>) {
    let code = language.code();
    if choices.len() <= MOST_BUTTONS {
        let actions = choices
            .iter()
            .map(|choice| {
                execute(&choice.label, CHOOSE, json!({"choice": choice.value, "label": choice.label, "language": code}))
            })
            .collect();
        return (Vec::new(), actions);
    }
    let list = json!({
        "type": "Input.ChoiceSet",
        "id": "choice",
        "label": words(language, "teams.choose_one", &[]),
        "isRequired": true,
        "errorMessage": words(language, "teams.choose_error", &[]),
        "choices": choices.iter().map(|choice| json!({"title": choice.label, "value": choice.value})).collect::<Vec<_>>(),
    });
    (vec![list], vec![execute(&words(language, "teams.send", &[]), CHOOSE, json!({"language": code}))])
}

/// A reply in `language` as the parts of a Teams message activity: `text` in Markdown, or a card.
pub fn message(reply: &Reply, language: Language) -> Option<Value> {
    let text_message = |text: String| json!({"type": "message", "text": text, "textFormat": "markdown"});
    let card_message =
        |card: Value| json!({"type": "message", "attachments": [{"contentType": CARD_TYPE, "content": card}]});
    Some(match reply {
        Reply::User { .. } => return None,
        Reply::Text { text, citations } => {
            let mut text = text.clone();
            if !citations.is_empty() {
                text.push_str("\n\n");
                for (number, citation) in citations.iter().enumerate() {
                    text.push_str(&format!(
                        "{}. [{}]({})\n",
                        number + 1,
                        markdown_label(&citation.title),
                        citation.url
                    ));
                }
            }
            text_message(text)
        }
        Reply::Choices { text, choices } => {
            let (inputs, actions) = choice_actions(choices, language);
            let mut body = vec![text_block(text)];
            body.extend(inputs);
            card_message(card(body, actions))
        }
        Reply::Confirm { text, summary, choices } => {
            let facts: Vec<Value> =
                summary.iter().map(|line| json!({"title": line.label, "value": line.value})).collect();
            let (inputs, actions) = choice_actions(choices, language);
            let mut body = vec![text_block(text), json!({"type": "FactSet", "facts": facts})];
            body.extend(inputs);
            card_message(card(body, actions))
        }
        Reply::Emergency { text, contacts, .. } => {
            let mut lines = format!("**{text}**\n\n");
            for contact in contacts {
                lines.push_str(&format!("- **{}**: {} ({})\n", contact.name, contact.phone, contact.when));
            }
            text_message(lines)
        }
        Reply::Agent { text, name } => text_message(format!("**{}**: {text}", markdown_label(name))),
        other => text_message(other.words().to_string()),
    })
}

/// A message of the transcript in `language` as the parts of a Teams message activity: an
/// answer comes with a card asking whether it helped.
pub fn stored(message: &StoredMessage, language: Language) -> Option<Value> {
    let mut outgoing = self::message(&message.reply, language)?;
    if message.reply.is_answer() {
        outgoing["attachments"] = json!([{"contentType": CARD_TYPE, "content": feedback_card(message.seq, language)}]);
    }
    Some(outgoing)
}

/// The card under an answer: whether it answered the question, as two `Action.Submit` buttons
/// (the last one pressed counts).
pub fn feedback_card(seq: i64, language: Language) -> Value {
    let submit = |title: String, vote: Vote| json!({"type": "Action.Submit", "title": title, "data": {FEEDBACK: vote.as_str(), "message": seq}});
    let question = words(language, "message.helped", &[]);
    card(
        vec![json!({"type": "TextBlock", "text": question, "wrap": true, "isSubtle": true})],
        vec![
            submit(format!("\u{1F44D} {}", words(language, "message.helped_yes", &[])), Vote::Helpful),
            submit(format!("\u{1F44E} {}", words(language, "message.helped_no", &[])), Vote::Unhelpful),
        ],
    )
}

/// What a card in `language` becomes once a choice on it is made, so it cannot be answered twice.
pub fn answered(label: &str, language: Language) -> Value {
    let chosen = words(language, "teams.chose", &[("label", label)]);
    card(vec![json!({"type": "TextBlock", "text": chosen, "wrap": true, "isSubtle": true})], Vec::new())
}

/// A card saying what happened to an action, in place of the card acted on.
pub fn outcome(title: &str, detail: &str) -> Value {
    card(
        vec![
            json!({"type": "TextBlock", "text": title, "wrap": true, "weight": "Bolder"}),
            json!({"type": "TextBlock", "text": detail, "wrap": true}),
        ],
        Vec::new(),
    )
}

/// The card alerting supervisors to an escalation: why, how urgent, and buttons to claim it,
/// open it in the console and, for a workflow waiting on a person, approve or reject its task.
pub fn escalation_alert(escalation: &Escalation, channel: &str, console_url: &str) -> Value {
    let urgent = escalation.priority == bot::conversation::Priority::High;
    let heading = match (urgent, escalation.language) {
        (true, Language::Welsh) => "Urgent: someone writing in Welsh needs a person now",
        (true, Language::English) => "Urgent: someone needs a person now",
        (false, Language::Welsh) => "A request in Welsh needs a person",
        (false, Language::English) => "A request needs a person",
    };
    let mut facts = vec![
        json!({"title": "Why", "value": escalation.reason.as_str().replace('_', " ")}),
        json!({"title": "Priority", "value": escalation.priority.as_str()}),
        json!({"title": "Channel", "value": channel}),
        json!({"title": "Language", "value": escalation.language.own_name()}),
    ];
    if !escalation.detail.is_empty() {
        facts.push(json!({"title": "Detail", "value": escalation.detail.chars().take(300).collect::<String>()}));
    }
    let waiting_task =
        escalation.reason == bot::conversation::EscalationReason::WorkflowWaiting && escalation.run_id.is_some();
    if waiting_task {
        for (name, value) in &escalation.inputs {
            let value = value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string());
            facts.push(json!({"title": name.replace('_', " "), "value": value}));
        }
    }
    let data = json!({"escalation": escalation.id});
    let mut actions = vec![execute("Claim", CLAIM, data.clone())];
    if waiting_task {
        actions.push(execute("Approve", APPROVE, data.clone()));
        actions.push(execute("Reject", REJECT, data));
    }
    actions.push(json!({"type": "Action.OpenUrl", "title": "Open in console", "url": console_url}));
    card(
        vec![
            json!({"type": "TextBlock", "text": heading, "wrap": true, "weight": "Bolder", "size": "Medium",
                   "color": if urgent { "Attention" } else { "Default" }}),
            json!({"type": "FactSet", "facts": facts}),
        ],
        actions,
    )
}

/// Text safe inside a Markdown link label.
fn markdown_label(text: &str) -> String {
    text.replace(['[', ']'], "")
}

/// The card telling supervisors that workflows are in trouble (or are working again), with a
/// link to their runs.
pub fn workflow_alert(group: &super::AlertGroup, console_url: &str) -> Value {
    let names = group.workflows.join(", ");
    let heading = match (group.raised, group.kind) {
        (true, "unreachable") => format!("A system is not answering: {names} cannot run"),
        (true, _) => format!("Workflow {names} is failing"),
        (false, "unreachable") => format!("A system is answering again: {names} can run"),
        (false, _) => format!("Workflow {names} is working again"),
    };
    card(
        vec![
            json!({"type": "TextBlock", "text": heading, "wrap": true, "weight": "Bolder", "size": "Medium",
                   "color": if group.raised { "Attention" } else { "Good" }}),
            json!({"type": "TextBlock", "text": group.detail, "wrap": true}),
        ],
        vec![json!({"type": "Action.OpenUrl", "title": "See the runs", "url": console_url})],
    )
}

#[cfg(test)]
mod tests {
    use bot::conversation::Role;
    use bot::conversation::message::CitationLink;

    use super::*;

    #[test]
    fn an_answer_comes_with_buttons_that_say_whether_it_helped_and_nothing_else_does() {
        let page = CitationLink { title: "Ways to pay".into(), url: "https://www.example.gov.uk/pay".into() };
        let reply = Reply::Text { text: "Pay online. [1]".into(), citations: vec![page] };
        let answer = StoredMessage { seq: 4, role: Role::Bot, at: 0, reply };
        let outgoing = stored(&answer, Language::English).expect("a message");
        assert!(outgoing["text"].as_str().unwrap().contains("[Ways to pay](https://www.example.gov.uk/pay)"));
        let card = &outgoing["attachments"][0]["content"];
        let actions = card["actions"].as_array().unwrap();
        assert_eq!(actions.len(), 2, "{card}");
        assert!(actions.iter().all(|action| action["type"] == "Action.Submit"));
        assert_eq!(actions[0]["data"], json!({"feedback": "helpful", "message": 4}));
        assert_eq!(actions[1]["data"], json!({"feedback": "unhelpful", "message": 4}));
        assert!(actions[1]["title"].as_str().unwrap().ends_with("This did not answer my question"));

        let plain = StoredMessage { seq: 5, role: Role::Bot, at: 0, reply: Reply::text("Hello") };
        assert!(stored(&plain, Language::English).unwrap().get("attachments").is_none());
        let in_welsh = stored(&answer, Language::Welsh).expect("a message");
        let title = in_welsh["attachments"][0]["content"]["actions"][0]["title"].as_str().unwrap().to_string();
        assert!(title.ends_with("Roedd hyn yn ateb fy nghwestiwn"), "{title}");
    }

    #[test]
    fn choices_in_welsh_are_offered_and_acknowledged_in_welsh() {
        let choices: Vec<ChoiceOption> =
            (1..=6).map(|n| ChoiceOption { label: format!("Dewis {n}"), value: n.to_string() }).collect();
        let reply = Reply::Choices { text: "Pa un?".into(), choices };
        let outgoing = message(&reply, Language::Welsh).expect("a card");
        let card = &outgoing["attachments"][0]["content"];
        assert_eq!(card["body"][1]["label"], "Dewiswch un");
        assert_eq!(card["actions"][0]["title"], "Anfon");
        assert_eq!(card["actions"][0]["data"]["language"], "cy");
        assert_eq!(answered("Dewis 2", Language::Welsh)["body"][0]["text"], "Dewisoch chi: Dewis 2");
    }
}
